package io.redcompress.connect.mapping;

import java.util.Optional;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.NullValueBehavior;

/**
 * SinkRecord to {@link RedisWrite}, in the one order that is right: form the key, serialise the value,
 * check its size, then encode (compress + header). Stateless, so one instance serves a task for its life.
 */
public final class RecordMapper {

    private final KeyTemplate keyTemplate;
    private final NullValueBehavior nullValueBehavior;
    private final int maxValueBytes;
    private final long ttlMillis;
    private final ValueEncoder encoder;

    public RecordMapper(KeyTemplate keyTemplate, NullValueBehavior nullValueBehavior, int maxValueBytes, long ttlMillis,
                        ValueEncoder encoder) {
        this.keyTemplate = keyTemplate;
        this.nullValueBehavior = nullValueBehavior;
        this.maxValueBytes = maxValueBytes;
        this.ttlMillis = ttlMillis;
        this.encoder = encoder;
    }

    /**
     * @return the write, or empty for a tombstone that is ignored
     * @throws UndecodableRecordException when the record cannot become a write (goes to the dead-letter topic)
     * @throws ConnectException when a tombstone arrives and behavior.on.null.values=fail
     */
    public Optional<RedisWrite> map(SinkRecord record) {
        return map(record, RecordId.of(record));
    }

    /** As {@link #map(SinkRecord)}, for a record whose id the caller has made already. */
    public Optional<RedisWrite> map(SinkRecord record, RecordId id) {
        if (record.value() == null) {
            return mapTombstone(record, id);
        }
        byte[] key = key(record, id);
        byte[] serialized;
        try {
            serialized = ValueSerializer.serialize(record.value(), record.valueSchema());
        } catch (UnmappableValueException e) {
            throw new UndecodableRecordException(id, e.getMessage());
        }
        if (serialized.length > maxValueBytes) {
            throw new UndecodableRecordException(id, "value is " + serialized.length + " bytes, over max.value.bytes="
                    + maxValueBytes);
        }
        byte[] encoded = encoder.encode(serialized);
        return Optional.of(new RedisWrite.SetValue(id, key, encoded, serialized.length, ttlMillis));
    }

    private Optional<RedisWrite> mapTombstone(SinkRecord record, RecordId id) {
        switch (nullValueBehavior) {
            case IGNORE:
                return Optional.empty();
            case FAIL:
                throw new ConnectException("Record " + id + " has a null value and behavior.on.null.values=fail; "
                        + "set behavior.on.null.values=delete or ignore to accept tombstones");
            case DELETE:
            default:
                return Optional.of(new RedisWrite.DeleteKey(id, key(record, id)));
        }
    }

    private byte[] key(SinkRecord record, RecordId id) {
        try {
            return keyTemplate.render(record);
        } catch (UnmappableValueException e) {
            throw new UndecodableRecordException(id, e.getMessage());
        }
    }
}
