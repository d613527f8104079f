package io.redcompress.connect.mapping;

import java.util.Optional;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.codec.EncodingSession;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.NullValueBehavior;

/**
 * SinkRecord to {@link RedisWrite}, in the one order that is right: form the key, serialise the value,
 * check its size, then encode (compress + header).
 * <p>
 * One instance serves a task for its life, on the task's thread only: it holds the task's {@link EncodingSession} (a
 * reused buffer, the codec's native state, what compression has saved per size of value), which is not thread-safe.
 * {@link #close()} frees it when the task stops.
 */
public final class RecordMapper implements AutoCloseable {

    private final KeyTemplate keyTemplate;
    private final NullValueBehavior nullValueBehavior;
    private final int maxValueBytes;
    private final long ttlMillis;
    private final EncodingSession encoding;
    private final ValueDictionaries dictionaries;
    private final WriteLayout layout;

    public RecordMapper(KeyTemplate keyTemplate, NullValueBehavior nullValueBehavior, int maxValueBytes, long ttlMillis,
                        ValueEncoder encoder) {
        this(keyTemplate, nullValueBehavior, maxValueBytes, ttlMillis, encoder, ValueDictionaries.NONE, WriteLayout.keys());
    }

    /**
     * A mapper that compresses each topic's values with the dictionary {@code dictionaries} names for it, if any, and
     * writes them where {@code layout} puts their key.
     */
    public RecordMapper(KeyTemplate keyTemplate, NullValueBehavior nullValueBehavior, int maxValueBytes, long ttlMillis,
                        ValueEncoder encoder, ValueDictionaries dictionaries, WriteLayout layout) {
        this.keyTemplate = keyTemplate;
        this.nullValueBehavior = nullValueBehavior;
        this.maxValueBytes = maxValueBytes;
        this.ttlMillis = ttlMillis;
        this.encoding = encoder.session();
        this.dictionaries = dictionaries;
        this.layout = layout;
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
        RedisWrite ownWrite = layout.fromRecord(record, id, key, new Parts(record.topic(), id));
        if (ownWrite != null) {
            return Optional.of(ownWrite);
        }
        byte[] serialized = serialize(record, id);
        byte[] encoded = encodeWithTopicsDictionary(record.topic(), serialized);
        return Optional.of(layout.set(record, id, key, encoded, serialized.length, ttlMillis));
    }

    /**
     * The bytes {@link #map} would compress for the record's value, for a record that waits for its topic's dictionary
     * and is offered to train it; null for a tombstone, and for a value map() refuses (it says why when the record is
     * written).
     */
    public byte[] serializedValue(SinkRecord record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return serialize(record, RecordId.of(record));
        } catch (UndecodableRecordException e) {
            return null;
        }
    }

    private byte[] serialize(SinkRecord record, RecordId id) {
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
        return serialized;
    }

    private byte[] encodeWithTopicsDictionary(String topic, byte[] serialized) {
        ZstdDictionary dictionary = dictionaries.forTopic(topic);
        byte[] encoded = encoding.encode(serialized, dictionary);
        dictionaries.encoded(topic, serialized, encoded.length, dictionary);
        return encoded;
    }

    /** The parts of one record's value: hash fields with the topic's dictionary, members without. */
    private final class Parts implements WriteLayout.PartEncoder {
        private final String topic;
        private final RecordId id;

        Parts(String topic, RecordId id) {
            this.topic = topic;
            this.id = id;
        }

        @Override
        public byte[] encodeField(byte[] serialized) {
            checkSize(serialized);
            return encodeWithTopicsDictionary(topic, serialized);
        }

        @Override
        public byte[] encodeMember(byte[] serialized) {
            checkSize(serialized);
            return encoding.encode(serialized);
        }

        private void checkSize(byte[] serialized) {
            if (serialized.length > maxValueBytes) {
                throw new UndecodableRecordException(id, "a part of the value is " + serialized.length + " bytes, over "
                        + "max.value.bytes=" + maxValueBytes);
            }
        }
    }

    /** What the encoding has done so far (values compressed, attempted, skipped), for metrics. */
    public EncodingSession.Stats encodingStats() {
        return encoding.stats();
    }

    /** Frees the encoding session's native state; idempotent, and map() throws IllegalStateException afterwards. */
    @Override
    public void close() {
        encoding.close();
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
                return Optional.of(layout.delete(record, id, key(record, id)));
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
