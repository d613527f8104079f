package io.redcompress.connect.mapping;

import org.apache.kafka.connect.errors.DataException;

/**
 * A record that cannot be turned into a Redis write: no usable key, an unsupported value type, a field the key
 * template names is missing, or a value over max.value.bytes. It goes to the dead-letter topic; the stream goes on.
 */
public final class UndecodableRecordException extends DataException {

    private final RecordId recordId;
    private final String reason;

    public UndecodableRecordException(RecordId recordId, String reason) {
        this(recordId, reason, null);
    }

    public UndecodableRecordException(RecordId recordId, String reason, Throwable cause) {
        super("Record " + recordId + " cannot be written to Redis: " + reason, cause);
        this.recordId = recordId;
        this.reason = reason;
    }

    public RecordId recordId() {
        return recordId;
    }

    public String reason() {
        return reason;
    }
}
