package io.redcompress.connect.redis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.Limit;
import io.lettuce.core.MapScanCursor;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.config.RedisSinkConfig;

/**
 * Reads the keyspace for operators' tools: SCAN MATCH, and per key GET, MEMORY USAGE and OBJECT ENCODING (TYPE for a
 * key that holds no string; HLEN and HSCAN for the buckets of redis.layout=buckets; the length and the first elements
 * of a list, hash, set, sorted set or stream, never more than asked for). In a cluster, SCAN walks every master in turn and the per-key commands go to the node
 * connection of the key's master (Lettuce's cluster connection rejects commands for a node it has not connected to
 * yet). Read-only: it writes nothing.
 */
public final class RedisKeyspace implements AutoCloseable {

    /** How many keys one SCAN call asks for, and how many keys are read in one pipelined batch. */
    private static final int BATCH = 500;

    /**
     * What a key holds.
     *
     * @param key         the key
     * @param type        "string", another Redis type, or "none" when the key does not exist
     * @param value       the string value, or null when the key holds no string
     * @param memoryUsage MEMORY USAGE of the key in bytes, or -1 when the key does not exist
     * @param encoding    OBJECT ENCODING (e.g. "raw", "embstr"), or null when not asked for or not there
     */
    public record Entry(byte[] key, String type, byte[] value, long memoryUsage, String encoding) {

        public boolean exists() {
            return !"none".equals(type);
        }

        public String keyText() {
            return new String(key, StandardCharsets.UTF_8);
        }
    }

    /** Redis did not answer, refused the connection or a command (NOAUTH, NOPERM ...), or timed out. */
    public static final class RedisAccessException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        RedisAccessException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final LettuceConnection connection;
    private final String endpoint;

    private RedisKeyspace(LettuceConnection connection, String endpoint) {
        this.connection = connection;
        this.endpoint = endpoint;
    }

    /**
     * Connects (standalone, Sentinel-found master or cluster, as redis.mode says).
     *
     * @throws org.apache.kafka.common.config.ConfigException if the connection settings are invalid (names the key)
     * @throws RedisAccessException if Redis cannot be reached or refuses the credentials
     */
    public static RedisKeyspace open(RedisSinkConfig config) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        return new RedisKeyspace(Replies.connect(config, endpoint), endpoint);
    }

    /** Where Redis is, as the messages say it (never with a password). */
    public String endpoint() {
        return endpoint;
    }

    /**
     * Up to {@code limit} keys matching {@code pattern} (a SCAN MATCH glob): the one server's, or each master's of a
     * cluster in turn, in SCAN order. SCAN may return a key twice; it is listed once.
     */
    public List<byte[]> scan(String pattern, int limit) {
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(BATCH);
        Set<ByteBuffer> seen = new HashSet<>();
        List<byte[]> keys = new ArrayList<>();
        for (StatefulRedisConnection<byte[], byte[]> node : call(() -> connection.masterConnections(endpoint)).values()) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                ScanCursor from = cursor;
                KeyScanCursor<byte[]> page = await(node.async().scan(from, args));
                if (addNew(page.getKeys(), seen, keys, limit)) {
                    return keys;
                }
                cursor = page;
            } while (!cursor.isFinished());
        }
        return keys;
    }

    /**
     * Adds to {@code into} the items of a SCAN page not {@code seen} before (a SCAN family command may return one
     * twice), up to {@code limit}; whether {@code into} is full.
     */
    private static boolean addNew(List<byte[]> page, Set<ByteBuffer> seen, List<byte[]> into, int limit) {
        for (byte[] item : page) {
            if (into.size() == limit) {
                return true;
            }
            if (seen.add(ByteBuffer.wrap(item))) {
                into.add(item);
            }
        }
        return into.size() == limit;
    }

    /** What {@code key} holds, with its OBJECT ENCODING. */
    public Entry read(byte[] key) {
        Entry entry = read(List.of(key)).get(0);
        if (!entry.exists()) {
            return entry;
        }
        String encoding = orIfRefused(commandsFor(key).objectEncoding(key), null);
        return new Entry(key, entry.type(), entry.value(), entry.memoryUsage(), encoding);
    }

    /**
     * What each of {@code keys} holds (no OBJECT ENCODING), in order; pipelined in batches, each key's commands sent to
     * the node that owns it (in a cluster, by the client's slot map: a key that moved meanwhile fails with MOVED).
     */
    public List<Entry> read(List<byte[]> keys) {
        List<Entry> entries = new ArrayList<>(keys.size());
        for (int from = 0; from < keys.size(); from += BATCH) {
            List<byte[]> batch = keys.subList(from, Math.min(keys.size(), from + BATCH));
            List<RedisFuture<byte[]>> values = new ArrayList<>(batch.size());
            List<RedisFuture<Long>> usages = new ArrayList<>(batch.size());
            List<RedisAsyncCommands<byte[], byte[]>> owners = new ArrayList<>(batch.size());
            for (byte[] key : batch) {
                RedisAsyncCommands<byte[], byte[]> owner = commandsFor(key);
                owners.add(owner);
                values.add(owner.get(key));
                usages.add(owner.memoryUsage(key));
            }
            for (int i = 0; i < batch.size(); i++) {
                byte[] key = batch.get(i);
                Long usage = orIfRefused(usages.get(i), -1L); // a read-only ACL user may not run MEMORY
                byte[] value;
                String type = "string";
                try {
                    value = awaitOrWrongType(values.get(i));
                } catch (WrongType e) {
                    value = null;
                    type = await(owners.get(i).type(key));
                }
                if (value == null && "string".equals(type)) {
                    type = "none";
                }
                entries.add(new Entry(key, type, value, usage == null ? -1 : usage, null));
            }
        }
        return entries;
    }

    /**
     * What a hash holds, for the bucketed layout.
     *
     * @param entries     HLEN (0 when the key does not exist), or -1 when the key holds no hash
     * @param encoding    OBJECT ENCODING ("listpack", "hashtable" ...), or null when the key does not exist or it was refused
     * @param memoryUsage MEMORY USAGE in bytes, or -1 when the key does not exist or it was refused
     */
    public record Hash(byte[] key, long entries, String encoding, long memoryUsage) {

        public String keyText() {
            return new String(key, StandardCharsets.UTF_8);
        }
    }

    /** HLEN, OBJECT ENCODING and MEMORY USAGE of each of {@code keys}, in order; pipelined in batches per owning node. */
    public List<Hash> readHashes(List<byte[]> keys) {
        List<Hash> hashes = new ArrayList<>(keys.size());
        for (int from = 0; from < keys.size(); from += BATCH) {
            List<byte[]> batch = keys.subList(from, Math.min(keys.size(), from + BATCH));
            List<RedisFuture<Long>> lengths = new ArrayList<>(batch.size());
            List<RedisFuture<String>> encodings = new ArrayList<>(batch.size());
            List<RedisFuture<Long>> usages = new ArrayList<>(batch.size());
            for (byte[] key : batch) {
                RedisAsyncCommands<byte[], byte[]> owner = commandsFor(key);
                lengths.add(owner.hlen(key));
                encodings.add(owner.objectEncoding(key));
                usages.add(owner.memoryUsage(key));
            }
            for (int i = 0; i < batch.size(); i++) {
                Long usage = orIfRefused(usages.get(i), -1L);
                hashes.add(new Hash(batch.get(i), orIfRefused(lengths.get(i), -1L), orIfRefused(encodings.get(i), null),
                        usage == null ? -1 : usage));
            }
        }
        return hashes;
    }

    /**
     * Up to {@code limit} entries of the hash {@code key} whose fields match {@code fieldPattern} (HSCAN MATCH), in
     * HSCAN order; field to value.
     */
    public List<Map.Entry<byte[], byte[]>> hashEntries(byte[] key, String fieldPattern, int limit) {
        ScanArgs args = ScanArgs.Builder.matches(fieldPattern).limit(BATCH);
        RedisAsyncCommands<byte[], byte[]> owner = commandsFor(key);
        List<Map.Entry<byte[], byte[]>> entries = new ArrayList<>();
        Set<ByteBuffer> seen = new HashSet<>(); // HSCAN may return a field twice (a rehash between pages)
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            MapScanCursor<byte[], byte[]> page = await(owner.hscan(key, cursor, args));
            for (Map.Entry<byte[], byte[]> entry : page.getMap().entrySet()) {
                if (entries.size() == limit) {
                    return entries;
                }
                if (seen.add(ByteBuffer.wrap(entry.getKey()))) {
                    entries.add(Map.entry(entry.getKey(), entry.getValue()));
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        return entries;
    }

    /**
     * How many elements the structure at {@code key} holds: LLEN, HLEN, SCARD, ZCARD or XLEN as its {@code type}
     * ({@code list}, {@code hash}, {@code set}, {@code zset}, {@code stream}) says.
     *
     * @throws IllegalArgumentException for another type
     */
    public long length(byte[] key, String type) {
        RedisAsyncCommands<byte[], byte[]> owner = commandsFor(key);
        return await(switch (type) {
            case "list" -> owner.llen(key);
            case "hash" -> owner.hlen(key);
            case "set" -> owner.scard(key);
            case "zset" -> owner.zcard(key);
            case "stream" -> owner.xlen(key);
            default -> throw new IllegalArgumentException("no length of a " + type);
        });
    }

    /** The first {@code limit} elements of the list {@code key} (LRANGE 0 limit-1). */
    public List<byte[]> listElements(byte[] key, int limit) {
        return await(commandsFor(key).lrange(key, 0, limit - 1L));
    }

    /** Up to {@code limit} members of the set {@code key}, in SSCAN order, each once (SSCAN may return one twice). */
    public List<byte[]> setMembers(byte[] key, int limit) {
        ScanArgs args = ScanArgs.Builder.limit(Math.min(limit, BATCH));
        RedisAsyncCommands<byte[], byte[]> owner = commandsFor(key);
        Set<ByteBuffer> seen = new HashSet<>();
        List<byte[]> members = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            ValueScanCursor<byte[]> page = await(owner.sscan(key, cursor, args));
            if (addNew(page.getValues(), seen, members, limit)) {
                return members;
            }
            cursor = page;
        } while (!cursor.isFinished());
        return members;
    }

    /** The {@code limit} lowest-scored members of the sorted set {@code key} (ZRANGE 0 limit-1 WITHSCORES), member to score. */
    public List<Map.Entry<byte[], Double>> sortedSetMembers(byte[] key, int limit) {
        List<Map.Entry<byte[], Double>> members = new ArrayList<>();
        for (ScoredValue<byte[]> member : await(commandsFor(key).zrangeWithScores(key, 0, limit - 1L))) {
            members.add(Map.entry(member.getValue(), member.getScore()));
        }
        return members;
    }

    /**
     * A stream entry.
     *
     * @param id     the entry id ({@code <ms>-<seq>})
     * @param fields its fields and values, in the entry's order
     */
    public record StreamEntry(String id, List<Map.Entry<byte[], byte[]>> fields) {
    }

    /** The first {@code limit} entries of the stream {@code key} (XRANGE - + COUNT limit). */
    public List<StreamEntry> streamEntries(byte[] key, int limit) {
        List<StreamEntry> entries = new ArrayList<>();
        for (StreamMessage<byte[], byte[]> message : await(commandsFor(key).xrange(key, Range.unbounded(), Limit.from(limit)))) {
            List<Map.Entry<byte[], byte[]>> fields = new ArrayList<>();
            message.getBody().forEach((field, value) -> fields.add(Map.entry(field, value)));
            entries.add(new StreamEntry(message.getId(), fields));
        }
        return entries;
    }

    private RedisAsyncCommands<byte[], byte[]> commandsFor(byte[] key) {
        return call(() -> connection.connectionFor(key)).async();
    }

    private <T> T call(java.util.function.Supplier<T> action) {
        return Replies.call(action, endpoint);
    }

    private static final class WrongType extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private <T> T awaitOrWrongType(Future<T> future) throws WrongType {
        try {
            return await(future);
        } catch (RedisAccessException e) {
            if (e.getCause() instanceof RedisCommandExecutionException reply && String.valueOf(reply.getMessage()).startsWith("WRONGTYPE")) {
                throw new WrongType();
            }
            throw e;
        }
    }

    /** The reply, or {@code fallback} when Redis refused the command (an error reply such as NOPERM); other failures throw. */
    private <T> T orIfRefused(Future<T> future, T fallback) {
        try {
            return await(future);
        } catch (RedisAccessException e) {
            if (e.getCause() instanceof RedisCommandExecutionException) {
                return fallback;
            }
            throw e;
        }
    }

    private <T> T await(Future<T> future) {
        return Replies.await(future, endpoint);
    }

    /** Whether {@code e} or a cause of it is a failure to reach Redis or a refusal by it, rather than a bug. */
    public static boolean isRedisFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RedisException || t instanceof RedisAccessException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        connection.close();
    }
}
