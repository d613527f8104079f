package io.redcompress.connect.mapping;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.connect.data.Schema;

/**
 * Turns a record value into the bytes that are compressed: bytes as they are, a String as UTF-8,
 * anything structured (Struct, Map, List, numbers, booleans) as JSON.
 */
final class ValueSerializer {

    private ValueSerializer() {
    }

    static byte[] serialize(Object value, Schema schema) {
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return bytes;
        }
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        return JsonWriter.toJson(value, schema);
    }
}
