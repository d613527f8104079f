package io.redcompress.connect.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.UUID;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Everything logged in this JVM while it is open, messages and stack traces, for tests that must prove what is
 * never logged (secrets). The connector's and Lettuce's loggers are opened up to DEBUG while capturing, so a secret
 * cannot hide at a level an operator might turn on to debug a connection; Connect's runtime and the config dumps
 * ("... values:", {@code AbstractConfig}) are opened up to INFO, the level a worker logs at by default, and captured
 * only (not printed). Other Kafka loggers stay as configured.
 */
public final class LogCapture implements AutoCloseable {

    private final StringBuffer captured = new StringBuffer();
    private final AbstractAppender appender;
    private final LoggerContext context;
    private final java.util.Map<String, Level> previousLevels = new java.util.HashMap<>();
    private static final java.util.List<String> OPENED_UP = java.util.List.of("io.redcompress.connect", "io.lettuce");
    /** Loggers that the test config leaves at WARN but a stock worker logs at INFO. */
    private static final java.util.List<String> WORKER_INFO = java.util.List.of(
            "org.apache.kafka.connect", "org.apache.kafka.common.config.AbstractConfig");
    private final java.util.List<String> addedLoggers = new java.util.ArrayList<>();

    private LogCapture() {
        context = (LoggerContext) LogManager.getContext(false);
        appender = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                // one append per event: events of several threads arrive at once, and piecewise appends interleaved
                // them, splitting a line from its logger name (which made SecretsIT's filter of harness lines flaky)
                StringBuilder entry = new StringBuilder().append(event.getLevel()).append(' ').append(event.getLoggerName())
                        .append(" - ").append(event.getMessage().getFormattedMessage()).append('\n');
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    entry.append(trace).append('\n');
                }
                captured.append(entry);
            }
        };
        appender.start();
        Configuration configuration = context.getConfiguration();
        for (String name : WORKER_INFO) {
            if (!configuration.getLoggers().containsKey(name)) {
                // not additive: captured here, not printed on the console of the test run
                configuration.addLogger(name, new LoggerConfig(name, Level.INFO, false));
                addedLoggers.add(name);
            }
        }
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            if (logger.getName().isEmpty() || !logger.isAdditive()) {
                // an additive logger hands its events to the root's appenders: attaching there too would log them twice
                logger.addAppender(appender, Level.ALL, null);
            }
            if (OPENED_UP.contains(logger.getName())) {
                previousLevels.put(logger.getName(), logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }
        }
        context.updateLoggers();
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    public String text() {
        return captured.toString();
    }

    @Override
    public void close() {
        Configuration configuration = context.getConfiguration();
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            logger.removeAppender(appender.getName());
            Level previous = previousLevels.get(logger.getName());
            if (previous != null) {
                logger.setLevel(previous);
            }
        }
        addedLoggers.forEach(configuration::removeLogger);
        context.updateLoggers();
        appender.stop();
    }
}
