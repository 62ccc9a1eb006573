package org.carbonledger.receipts.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemReceiptStoreTest {

    @TempDir
    Path root;

    @Test
    void storesUnderTheKeyAndReadsBack() throws Exception {
        FileSystemReceiptStore store = new FileSystemReceiptStore(root);
        store.put("receipts/t-1/R-2026-03-0001.pdf", new byte[] {1, 2, 3});
        store.put("receipts/t-1/R-2026-03-0001.pdf", new byte[] {4, 5});

        assertThat(store.get("receipts/t-1/R-2026-03-0001.pdf")).containsExactly(4, 5);
        assertThat(Files.readAllBytes(root.resolve("receipts/t-1/R-2026-03-0001.pdf"))).containsExactly(4, 5);
        try (var files = Files.list(root.resolve("receipts/t-1"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("R-2026-03-0001.pdf");
        }
    }

    @Test
    void aMissingReceiptIsReportedByKey() {
        FileSystemReceiptStore store = new FileSystemReceiptStore(root);
        assertThatThrownBy(() -> store.get("receipts/t-1/R-none.pdf"))
                .isInstanceOf(ReceiptStore.ReceiptNotStoredException.class)
                .hasMessage("no receipt stored under 'receipts/t-1/R-none.pdf'");
    }

    @Test
    void keysCannotLeaveTheRoot() {
        FileSystemReceiptStore store = new FileSystemReceiptStore(root.resolve("store"));
        for (String key : new String[] {"../outside.pdf", "receipts/../../x.pdf", "/etc/passwd", "a//b.pdf",
                "receipts/", "", "a b.pdf"}) {
            assertThatThrownBy(() -> store.put(key, new byte[] {1}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid receipt key: '" + key + "'");
        }
        assertThat(root.resolve("outside.pdf")).doesNotExist();
    }
}
