package io.redcompress.connect.errors;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that cannot be written to Connect's dead-letter topic, with the reason, before they are counted as
 * settled. The original record is reported, so the dead-letter topic keeps its raw bytes, and the worker waits for
 * the report to be written before it commits the offset. With no dead-letter topic configured, reporting fails the
 * task with the settings to add: a record is never dropped silently.
 */
public final class DeadLetterReporter {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterReporter.class);

    static final String HOW_TO_ENABLE = "set errors.tolerance=all and errors.deadletterqueue.topic.name=<topic> "
            + "(with errors.deadletterqueue.context.headers.enable=true to keep the reason in the record headers)";

    private final ErrantRecordReporter reporter;

    public DeadLetterReporter(ErrantRecordReporter reporter) {
        this.reporter = reporter;
    }

    public static DeadLetterReporter from(SinkTaskContext context) {
        // every supported worker (Kafka 3.6+) has the method; it returns null when no dead-letter topic is configured
        return new DeadLetterReporter(context.errantRecordReporter());
    }

    public boolean isConfigured() {
        return reporter != null;
    }

    /**
     * @param reason what went wrong; its message names the record and becomes the
     *               __connect.errors.exception.message header
     * @throws ConnectException when no dead-letter topic is configured, or errors.tolerance does not allow it
     */
    public void report(SinkRecord record, Throwable reason) {
        if (reporter == null) {
            throw new ConnectException(reason.getMessage() + ". No dead-letter topic is configured, so the task stops "
                    + "here rather than drop the record: " + HOW_TO_ENABLE + " to send such records there and keep going.",
                    reason);
        }
        try {
            reporter.report(record, reason);
        } catch (ConnectException e) {
            throw new ConnectException(reason.getMessage() + ". Reporting it to the dead-letter topic failed (" + e.getMessage()
                    + "); with errors.tolerance=none the task stops at the first such record: " + HOW_TO_ENABLE + ".", e);
        }
        log.debug("Sent to the dead-letter topic: {}", reason.getMessage());
    }
}
