package io.redcompress.connect;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.SinkRecord;

/** Builds SinkRecords for tests, so each test names only what it cares about. */
public final class TestRecords {

    private String topic = "devices";
    private int partition = 0;
    private long offset = 0;
    private Schema keySchema = Schema.OPTIONAL_STRING_SCHEMA;
    private Object key = "k";
    private Schema valueSchema = Schema.OPTIONAL_STRING_SCHEMA;
    private Object value = "v";

    public static TestRecords record() {
        return new TestRecords();
    }

    public TestRecords topic(String topic) {
        this.topic = topic;
        return this;
    }

    public TestRecords partition(int partition) {
        this.partition = partition;
        return this;
    }

    public TestRecords offset(long offset) {
        this.offset = offset;
        return this;
    }

    public TestRecords key(Object key) {
        return key(null, key);
    }

    public TestRecords key(Schema schema, Object key) {
        this.keySchema = schema;
        this.key = key;
        return this;
    }

    public TestRecords value(Object value) {
        return value(null, value);
    }

    public TestRecords value(Schema schema, Object value) {
        this.valueSchema = schema;
        this.value = value;
        return this;
    }

    public TestRecords tombstone() {
        this.valueSchema = null;
        this.value = null;
        return this;
    }

    public SinkRecord build() {
        return new SinkRecord(topic, partition, keySchema, key, valueSchema, value, offset);
    }
}
