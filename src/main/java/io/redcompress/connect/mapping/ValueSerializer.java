package io.redcompress.connect.mapping;

import org.apache.kafka.connect.data.Schema;

/**
 * Turns a record value into the bytes that are compressed: bytes as they are, a String as UTF-8,
 * anything structured (Struct, Map, List, numbers, booleans) as JSON.
 */
final class ValueSerializer {

    private ValueSerializer() {
    }

    static byte[] serialize(Object value, Schema schema) {
        byte[] raw = RawBytes.of(value);
        return raw != null ? raw : JsonWriter.toJson(value, schema);
    }
}
