package org.carbonledger.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures every log event of the whole test suite (a Logback appender on the root logger, registered for every
 * test class through JUnit's extension auto-detection) and fails a test class whose run logged key material: an
 * API key ({@code clk_...}), the operator key, a receipt keystore password, or an {@code Authorization} value.
 */
public final class LogSecrets implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    static final Pattern API_KEY = Pattern.compile("clk_[a-z0-9]{8}_[a-z0-9]{32}");
    static final Pattern AUTHORIZATION = Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{8,}");
    static final Path TEST_DATA = Path.of("target/test-data");

    private static final ConcurrentLinkedQueue<String> CAPTURED = new ConcurrentLinkedQueue<>();
    private static final String NAME = "log-secrets";

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    /** Again before each test: starting an application context stops and resets Logback, detaching the appender. */
    @Override
    public void beforeEach(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> lines = drain();
        List<String> leaks = findSecrets(lines, knownSecrets());
        if (!leaks.isEmpty()) {
            throw new AssertionError("key material in the logs of " + context.getDisplayName() + ": " + leaks);
        }
    }

    /**
     * Attaches the capturing appender to the root logger, and keeps it attached when Spring Boot reconfigures
     * Logback at the start of an application context (a reset detaches and stops all appenders). Restores the
     * production level INFO when a test (the CLI's quiet mode) raised it.
     */
    static synchronized void install() {
        var context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!root.isEnabledFor(ch.qos.logback.classic.Level.INFO)) {
            root.setLevel(ch.qos.logback.classic.Level.INFO); // the production level; the CLI raises it to ERROR
        }
        if (root.getAppender(NAME) != null) {
            return;
        }
        var appender = new AppenderBase<ILoggingEvent>() {
            @Override
            protected void append(ILoggingEvent event) {
                StringBuilder text = new StringBuilder(event.getFormattedMessage() == null ? ""
                        : event.getFormattedMessage());
                for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                    text.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
                }
                event.getMDCPropertyMap().forEach((k, v) -> text.append(" | ").append(k).append('=').append(v));
                CAPTURED.add(text.toString());
            }
        };
        appender.setContext(context);
        appender.setName(NAME);
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
        context.addListener(new LoggerContextListener() {
            @Override
            public boolean isResetResistant() {
                return true;
            }

            @Override
            public void onReset(LoggerContext reset) {
                appender.start();
                reset.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
            }

            @Override
            public void onStart(LoggerContext started) {
            }

            @Override
            public void onStop(LoggerContext stopped) {
            }

            @Override
            public void onLevelChange(Logger logger, ch.qos.logback.classic.Level level) {
            }
        });
    }

    /** Whether a captured, not yet scanned event contains the text. */
    public static boolean captured(String text) {
        return CAPTURED.stream().anyMatch(line -> line.contains(text));
    }

    /** The events captured since the last call. */
    static List<String> drain() {
        List<String> lines = new ArrayList<>();
        for (String line; (line = CAPTURED.poll()) != null; ) {
            lines.add(line);
        }
        return lines;
    }

    /** The literal secrets of this run: the operator key and the receipt keystore passwords generated so far. */
    static Set<String> knownSecrets() {
        var secrets = new java.util.HashSet<String>();
        secrets.add(IntegrationTest.OPERATOR_KEY);
        if (Files.isDirectory(TEST_DATA)) {
            try (Stream<Path> files = Files.walk(TEST_DATA)) {
                files.filter(f -> f.getFileName().toString().endsWith(".password")).forEach(f -> {
                    try {
                        String password = Files.readString(f, StandardCharsets.UTF_8).strip();
                        if (password.length() >= 8) {
                            secrets.add(password);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return secrets;
    }

    /** The lines that hold an API key, an Authorization value or one of the literal secrets. */
    static List<String> findSecrets(List<String> lines, Set<String> secrets) {
        List<String> leaks = new ArrayList<>();
        for (String line : lines) {
            boolean leak = API_KEY.matcher(line).find() || AUTHORIZATION.matcher(line).find()
                    || secrets.stream().anyMatch(line::contains);
            if (leak) {
                leaks.add(line.length() > 300 ? line.substring(0, 300) + "…" : line);
            }
        }
        return leaks;
    }
}
