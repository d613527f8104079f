package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;

/**
 * Reads values the connector wrote with {@code redis.layout=buckets}, for applications:
 *
 * <pre>{@code
 * try (RedisBucketReader reader = RedisBucketReader.open(config)) {
 *     byte[] value = reader.read("devices:sensor-1".getBytes(UTF_8)); // decoded, or null
 * }
 * }</pre>
 *
 * <p>The bucket count comes from the layout marker {@code <prefix>layout}, which every read fetches again in the same
 * round trip, so a re-bucketing that begins or ends is followed at once. While one runs, an entry is in its new
 * bucket or, not moved yet, in its old one, and the new bucket's value is the newer. Thread-safe.
 */
public final class RedisBucketReader implements AutoCloseable {

    /**
     * On one node, looks in the new bucket KEYS[1], then the old KEYS[2], in one step: no move can slip between the two.
     * Returns {1, value} from the new bucket, {2, value} from the old, or nil.
     */
    private static final String NEW_THEN_OLD = """
            local value = redis.call('HGET', KEYS[1], ARGV[1])
            if value then
              return {1, value}
            end
            value = redis.call('HGET', KEYS[2], ARGV[1])
            if value then
              return {2, value}
            end
            return nil""";

    /** How often a read starts again because the marker changed under it before it gives up. */
    private static final int ATTEMPTS = 5;

    /**
     * An entry as stored.
     *
     * @param bucketKey the bucket that holds it
     * @param bucket    its number
     * @param oldLayout whether it was found in the bucket of the count a running re-bucketing moves away from
     * @param stored    the value's bytes as stored (not decoded)
     */
    public record Found(byte[] bucketKey, int bucket, boolean oldLayout, byte[] stored) {

        public String bucketKeyText() {
            return new String(bucketKey, StandardCharsets.UTF_8);
        }
    }

    /** The marker as last read: its bytes, to see whether it changed, and what they say. */
    private record Known(byte[] bytes, LayoutMarker marker) {
    }

    private final LettuceConnection connection;
    private final String endpoint;
    private final byte[] prefix;
    private final byte[] markerKey;
    private final boolean cluster;
    private final RedisDictionaryResolver dictionaries;
    private final ValueDecoder decoder;
    private volatile Known known;

    private RedisBucketReader(LettuceConnection connection, String endpoint, byte[] prefix, boolean cluster,
                              RedisDictionaryResolver dictionaries) {
        this.connection = connection;
        this.endpoint = endpoint;
        this.prefix = prefix;
        this.markerKey = BucketLayout.markerKey(prefix);
        this.cluster = cluster;
        this.dictionaries = dictionaries;
        this.decoder = ValueDecoder.builder().dictionaries(dictionaries).build();
    }

    /**
     * Connects as redis.mode says, for the buckets under redis.bucket.prefix; dictionaries are read from
     * compression.dictionary.key.prefix.
     *
     * @throws RedisKeyspace.RedisAccessException if Redis cannot be reached or refuses the credentials
     */
    public static RedisBucketReader open(RedisSinkConfig config) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        LettuceConnection connection = Replies.connect(config, endpoint);
        return new RedisBucketReader(connection, endpoint, config.bucketPrefix().getBytes(StandardCharsets.UTF_8),
                config.redisMode() == RedisMode.CLUSTER, RedisDictionaryResolver.open(config));
    }

    /**
     * The decoded value of {@code logicalKey} (what the connector's key.template rendered), or null when there is none
     * (or no connector has written under the prefix yet).
     *
     * @throws io.redcompress.connect.codec.ValueDecodingException when the stored value does not decode
     * @throws RedisKeyspace.RedisAccessException when Redis fails or refuses
     */
    public byte[] read(byte[] logicalKey) {
        Found found = find(logicalKey);
        return found == null ? null : decoder.decodeValue(found.stored());
    }

    /**
     * Where {@code logicalKey}'s entry is and its bytes as stored, or null when there is none.
     *
     * @throws IllegalStateException when the marker is not one this version understands, or keeps changing
     */
    public Found find(byte[] logicalKey) {
        Known assumed = known != null ? known : refresh(await(on(markerKey).get(markerKey)));
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (assumed == null) {
                return null;
            }
            Future<byte[]> markerNow = on(markerKey).get(markerKey);
            Lookup lookup = lookUp(assumed.marker(), logicalKey);
            byte[] now = await(markerNow);
            Found found = lookup.await();
            if (Arrays.equals(now, assumed.bytes())) {
                return found;
            }
            assumed = refresh(now);
        }
        throw new IllegalStateException(new String(markerKey, StandardCharsets.UTF_8) + " changed " + ATTEMPTS
                + " times during one read");
    }

    /** The layout as the marker said at the last read (read now if never), or null when there is no marker. */
    public LayoutMarker marker() {
        Known current = known != null ? known : refresh(await(on(markerKey).get(markerKey)));
        return current == null ? null : current.marker();
    }

    private Known refresh(byte[] bytes) {
        if (bytes == null) {
            known = null;
            return null;
        }
        LayoutMarker marker = LayoutMarker.parse(bytes);
        if (!marker.understood()) {
            throw new IllegalStateException(new String(markerKey, StandardCharsets.UTF_8)
                    + " describes a layout this version cannot read: " + marker.format());
        }
        Known parsed = new Known(bytes, marker);
        known = parsed;
        return parsed;
    }

    /** The commands of one look-up, sent; {@link #await} waits for their replies. */
    private interface Lookup {
        Found await();
    }

    private Lookup lookUp(LayoutMarker marker, byte[] logicalKey) {
        BucketLayout current = BucketLayout.of(prefix, marker.count());
        int bucket = current.bucketOf(logicalKey);
        byte[] bucketKey = current.bucketKey(bucket);
        Future<byte[]> inCurrent;
        if (!marker.migrating()) {
            inCurrent = on(bucketKey).hget(bucketKey, logicalKey);
            return () -> found(bucketKey, bucket, false, await(inCurrent));
        }
        BucketLayout previous = BucketLayout.of(prefix, marker.previousCount());
        int oldBucket = previous.bucketOf(logicalKey);
        byte[] oldBucketKey = previous.bucketKey(oldBucket);
        if (cluster) {
            // the buckets live on different nodes, where no script reaches both; a cluster re-buckets only with the
            // connector stopped, so only the mover changes them: old first, then new, so a move between the two is seen
            // (the new bucket's HGET is sent only once the old one answered: on two connections, sent together,
            // they could run the other way round and miss an entry moved in between)
            Future<byte[]> inOld = on(oldBucketKey).hget(oldBucketKey, logicalKey);
            return () -> {
                byte[] old = await(inOld);
                byte[] value = await(on(bucketKey).hget(bucketKey, logicalKey));
                return value != null ? found(bucketKey, bucket, false, value) : found(oldBucketKey, oldBucket, true, old);
            };
        }
        Future<List<Object>> either = on(bucketKey).eval(NEW_THEN_OLD, ScriptOutputType.MULTI,
                new byte[][] {bucketKey, oldBucketKey}, logicalKey);
        return () -> {
            List<Object> reply = await(either);
            if (reply == null || reply.isEmpty()) {
                return null;
            }
            boolean old = ((Long) reply.get(0)) == 2;
            return old ? found(oldBucketKey, oldBucket, true, (byte[]) reply.get(1))
                    : found(bucketKey, bucket, false, (byte[]) reply.get(1));
        };
    }

    private static Found found(byte[] bucketKey, int bucket, boolean oldLayout, byte[] stored) {
        return stored == null ? null : new Found(bucketKey, bucket, oldLayout, stored);
    }

    /**
     * The commands of the node that owns {@code key}: in a cluster its master's own connection, since the cluster
     * connection rejects commands for a node it has not connected to yet (a script's keys must share that node).
     */
    private RedisAsyncCommands<byte[], byte[]> on(byte[] key) {
        return Replies.call(() -> connection.connectionFor(key), endpoint).async();
    }

    private <T> T await(Future<T> future) {
        return Replies.await(future, endpoint);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            dictionaries.close();
        }
    }
}
