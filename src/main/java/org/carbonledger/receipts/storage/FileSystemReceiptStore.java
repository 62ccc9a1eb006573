package org.carbonledger.receipts.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Receipts as files under a root directory; a write goes to a temporary file first, then is moved into place. */
public final class FileSystemReceiptStore implements ReceiptStore {

    private final Path root;

    public FileSystemReceiptStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public void put(String key, byte[] pdf) {
        Path target = resolve(key);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".receipt-", ".tmp");
            try {
                Files.write(tmp, pdf);
                try {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not store receipt " + key + " under " + root, e);
        }
    }

    @Override
    public byte[] get(String key) {
        try {
            return Files.readAllBytes(resolve(key));
        } catch (NoSuchFileException e) {
            throw new ReceiptNotStoredException(key, e);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read receipt " + key + " under " + root, e);
        }
    }

    @Override
    public String location() {
        return root.toString();
    }

    private Path resolve(String key) {
        return root.resolve(ReceiptStore.checkKey(key));
    }
}
