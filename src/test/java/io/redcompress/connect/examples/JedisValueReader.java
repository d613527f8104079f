package io.redcompress.connect.examples;

import io.redcompress.connect.codec.ValueDecoder;
import java.nio.charset.StandardCharsets;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/**
 * Reads values the connector wrote, with Jedis: the example of {@code docs/reading-values.md}, compiled
 * and run by {@link ReadingValuesExamplesTest}. A {@link JedisPool} because a {@link Jedis} connection is
 * not thread-safe and the decoder, shared between threads, looks dictionaries up on the caller's thread.
 *
 * <pre>
 * java ... JedisValueReader localhost 6379 device:sensor-0042
 * </pre>
 */
public final class JedisValueReader implements AutoCloseable {

    private final JedisPool pool;
    private final ValueDecoder decoder;

    /** {@code dictionaryPrefix}: the connector's compression.dictionary.key.prefix (default redcompress:dict). */
    public JedisValueReader(String host, int port, String dictionaryPrefix) {
        pool = new JedisPool(host, port);
        decoder = ValueDecoder.builder()
                .dictionaries(id -> get(dictionaryPrefix + ":" + id))   // called once per dictionary, then cached
                .build();
    }

    /** The original value of {@code key}, or null if there is no such key. */
    public byte[] read(String key) {
        byte[] stored = get(key);
        if (stored == null) {
            return null;
        }
        return ValueDecoder.isOurFormat(stored) ? decoder.decodeValue(stored) : stored;
    }

    private byte[] get(String key) {
        try (Jedis jedis = pool.getResource()) {
            return jedis.get(key.getBytes(StandardCharsets.UTF_8));   // the byte[] overload: no charset decoding
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    public static void main(String[] args) {
        try (JedisValueReader reader = new JedisValueReader(args[0], Integer.parseInt(args[1]), "redcompress:dict")) {
            byte[] value = reader.read(args[2]);
            System.out.println(value == null ? "(no such key)" : new String(value, StandardCharsets.UTF_8));
        }
    }
}
