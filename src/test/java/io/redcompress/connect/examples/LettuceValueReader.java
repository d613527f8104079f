package io.redcompress.connect.examples;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.redcompress.connect.codec.ValueDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads values the connector wrote, with Lettuce: the example of {@code docs/reading-values.md}, compiled
 * and run by {@link ReadingValuesExamplesTest}.
 *
 * <pre>
 * java ... LettuceValueReader redis://localhost:6379 device:sensor-0042
 * </pre>
 */
public final class LettuceValueReader implements AutoCloseable {

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final ValueDecoder decoder;

    /** {@code dictionaryPrefix}: the connector's compression.dictionary.key.prefix (default redcompress:dict). */
    public LettuceValueReader(String redisUri, String dictionaryPrefix) {
        client = RedisClient.create(redisUri);
        connection = client.connect(ByteArrayCodec.INSTANCE);   // values are bytes, not strings
        decoder = ValueDecoder.builder()
                // only values compressed with a dictionary (codec id 5) call this; the decoder keeps what it returns
                .dictionaries(id -> connection.sync().get(key(dictionaryPrefix + ":" + id)))
                .build();
    }

    /** The original value of {@code key}, or null if there is no such key. */
    public byte[] read(String key) {
        byte[] stored = connection.sync().get(key(key));
        if (stored == null) {
            return null;
        }
        // a key another writer stored as text passes through; ours are decoded (ValueDecodingException if damaged)
        return ValueDecoder.isOurFormat(stored) ? decoder.decodeValue(stored) : stored;
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }

    public static void main(String[] args) {
        try (LettuceValueReader reader = new LettuceValueReader(args[0], "redcompress:dict")) {
            byte[] value = reader.read(args[1]);
            System.out.println(value == null ? "(no such key)" : new String(value, StandardCharsets.UTF_8));
        }
    }
}
