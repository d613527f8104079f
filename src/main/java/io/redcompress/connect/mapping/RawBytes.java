package io.redcompress.connect.mapping;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The bytes of a value that already is binary or text; keys and values both use them as they are. */
final class RawBytes {

    private RawBytes() {
    }

    /** The bytes of a byte[], a ByteBuffer (its remaining bytes, left unconsumed) or a String (UTF-8); else null. */
    static byte[] of(Object value) {
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
        return null;
    }
}
