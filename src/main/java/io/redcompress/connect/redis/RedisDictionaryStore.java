package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore;
import io.redcompress.connect.dictionary.DictionaryStoreException;

/**
 * Dictionaries in Redis: {@code <prefix>:<id>} holds the raw dictionary bytes, written with {@code SET NX} on the node
 * that owns the key (in a cluster, the master of the key's slot, usually another node than the values'), followed by
 * {@code WAIT} on that same connection when {@code redis.wait.replicas} asks for it; never overwritten with other
 * bytes, never given an expiry. {@code <prefix>:active:<connector>:<topic>} holds the id a connector last used for a
 * topic, in decimal.
 *
 * <p>The store has its own client, built by {@link RedisClientFactory} from the connector's config (standalone,
 * Sentinel, cluster, TLS, ACL), and connects on first use: a Redis that is down when the store opens is a failure of
 * the first call (not refused), like a Redis lost later. Every reply is awaited at most {@code redis.command.timeout.ms}
 * (a WAIT, {@code redis.wait.timeout.ms} more). A failure is a {@link DictionaryStoreException} that names the key and
 * Redis's reply, and for a refusal the setting to change.
 */
public final class RedisDictionaryStore implements DictionaryStore {

    private static final Logger log = LoggerFactory.getLogger(RedisDictionaryStore.class);

    /** What a reply may take beyond Lettuce's own command timeout, which fails the future first. */
    private static final long SLACK_MILLIS = 1_000;
    private static final int SCAN_COUNT = 1_000;
    /** SET NX found the key and GET did not (deleted or evicted in between): so often, then give up. */
    private static final int STORE_ATTEMPTS = 3;

    private final RedisSinkConfig config;
    private final String prefix;
    private final String connectorName;
    private final long timeoutMillis;
    private final int waitReplicas;
    private final long waitTimeoutMillis;
    private LettuceConnection redis;
    private boolean closed;

    private RedisDictionaryStore(RedisSinkConfig config, String connectorName) {
        this.config = config;
        this.prefix = config.dictionaryKeyPrefix();
        this.connectorName = connectorName;
        this.timeoutMillis = config.commandTimeout().toMillis() + SLACK_MILLIS;
        this.waitReplicas = config.waitReplicas();
        this.waitTimeoutMillis = config.waitTimeout().toMillis();
    }

    /**
     * A store with its own client, connected on first use and closed by {@link #close()}.
     *
     * @param connectorName names the pointer keys of {@link #activeId} and {@link #setActive}; null for a store that
     *                      only reads and writes dictionaries (the command-line tool, {@link RedisDictionaryResolver})
     * @throws org.apache.kafka.common.config.ConfigException if {@code redis.uri} and the settings around it are invalid
     */
    public static RedisDictionaryStore open(RedisSinkConfig config, String connectorName) {
        RedisClientFactory.redisUris(config); // fails now on a setting that could never connect
        return new RedisDictionaryStore(config, connectorName);
    }

    @Override
    public String key(long id) {
        return prefix + ":" + id;
    }

    /** The key naming the dictionary this store's connector last used for {@code topic}. */
    String pointerKey(String topic) {
        if (connectorName == null) {
            throw new IllegalStateException("this dictionary store was opened without a connector name");
        }
        return prefix + ":active:" + connectorName + ":" + topic;
    }

    @Override
    public StoreResult store(ZstdDictionary dictionary) throws DictionaryStoreException {
        String key = key(dictionary.id());
        byte[] keyBytes = bytes(key);
        byte[] value = dictionary.bytes();
        RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
        for (int attempt = 1; attempt <= STORE_ATTEMPTS; attempt++) {
            if ("OK".equals(await(key, "SET NX", () -> node.set(keyBytes, value, SetArgs.Builder.nx()), timeoutMillis))) {
                awaitReplicas(key, node);
                return StoreResult.STORED;
            }
            byte[] stored = await(key, "GET", () -> node.get(keyBytes), timeoutMillis);
            if (stored == null) {
                continue; // gone between SET NX and GET
            }
            if (!Arrays.equals(stored, value)) {
                return StoreResult.ID_TAKEN;
            }
            // the same bytes, stored by another task: write them again, so that WAIT (which counts only this
            // connection's writes) vouches for them; XX, so that a key gone meanwhile is stored by SET NX instead
            if ("OK".equals(await(key, "SET XX", () -> node.set(keyBytes, value, SetArgs.Builder.xx()), timeoutMillis))) {
                awaitReplicas(key, node);
                return StoreResult.ALREADY_STORED;
            }
        }
        throw new DictionaryStoreException("Storing dictionary " + key + " failed: the key kept disappearing between SET NX "
                + "and GET (" + STORE_ATTEMPTS + " attempts); is something deleting or evicting keys under "
                + RedisSinkConfig.COMPRESSION_DICTIONARY_KEY_PREFIX + "=" + prefix + "?", false, null);
    }

    private void awaitReplicas(String key, RedisAsyncCommands<byte[], byte[]> node) throws DictionaryStoreException {
        if (waitReplicas == 0) {
            return;
        }
        Long acknowledged = await(key, "WAIT", () -> node.waitForReplication(waitReplicas, waitTimeoutMillis),
                waitTimeoutMillis + timeoutMillis);
        if (acknowledged == null || acknowledged < waitReplicas) {
            throw new DictionaryStoreException("Dictionary " + key + " was written, but only " + acknowledged + " of the "
                    + waitReplicas + " replicas asked for by " + RedisSinkConfig.REDIS_WAIT_REPLICAS + " acknowledged it within "
                    + RedisSinkConfig.REDIS_WAIT_TIMEOUT_MS + "=" + waitTimeoutMillis + " (lower "
                    + RedisSinkConfig.REDIS_WAIT_REPLICAS + " to the replicas the node has, or bring them back)", true, null);
        }
    }

    @Override
    public byte[] load(long id) throws DictionaryStoreException {
        String key = key(id);
        RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
        return await(key, "GET", () -> node.get(bytes(key)), timeoutMillis);
    }

    @Override
    public boolean exists(long id) throws DictionaryStoreException {
        String key = key(id);
        RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
        Long count = await(key, "EXISTS", () -> node.exists(bytes(key)), timeoutMillis);
        return count != null && count > 0;
    }

    @Override
    public OptionalLong activeId(String topic) throws DictionaryStoreException {
        String key = pointerKey(topic);
        RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
        byte[] value = await(key, "GET", () -> node.get(bytes(key)), timeoutMillis);
        if (value == null) {
            return OptionalLong.empty();
        }
        String text = new String(value, StandardCharsets.UTF_8);
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            log.warn("{} holds '{}', not a dictionary id; ignoring it (it is replaced when a dictionary is next chosen for {})",
                    key, text.length() > 40 ? text.substring(0, 40) + "..." : text, topic);
            return OptionalLong.empty();
        }
    }

    @Override
    public void setActive(String topic, long id) throws DictionaryStoreException {
        String key = pointerKey(topic);
        RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
        await(key, "SET", () -> node.set(bytes(key), bytes(Long.toString(id))), timeoutMillis);
    }

    /**
     * The ids of the dictionaries stored under the prefix ({@code SCAN <prefix>:*}, every master of a cluster): the keys
     * whose part after {@code <prefix>:} is only digits, in ascending order.
     */
    public List<Long> listIds() throws DictionaryStoreException {
        String pattern = globEscape(prefix) + ":*";
        int idFrom = prefix.length() + 1;
        TreeSet<Long> ids = new TreeSet<>();
        for (StatefulRedisConnection<byte[], byte[]> node : call(pattern, "connecting to the masters for SCAN",
                () -> connection().masterConnections(RedisClientFactory.describeEndpoint(config))).values()) {
            ScanArgs args = ScanArgs.Builder.matches(pattern).limit(SCAN_COUNT);
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                ScanCursor from = cursor;
                KeyScanCursor<byte[]> page = await(pattern, "SCAN", () -> node.async().scan(from, args), timeoutMillis);
                for (byte[] key : page.getKeys()) {
                    String suffix = new String(key, StandardCharsets.UTF_8).substring(idFrom);
                    if (!suffix.isEmpty() && suffix.length() <= 18 && suffix.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        ids.add(Long.parseLong(suffix));
                    }
                }
                cursor = page;
            } while (!cursor.isFinished());
        }
        return new ArrayList<>(ids);
    }

    /** What dictionary {@code id} takes in Redis's memory ({@code MEMORY USAGE}), or -1 if Redis refused or has no such key. */
    public long memoryUsage(long id) throws DictionaryStoreException {
        String key = key(id);
        try {
            RedisAsyncCommands<byte[], byte[]> node = nodeFor(key);
            Long bytes = await(key, "MEMORY USAGE", () -> node.memoryUsage(bytes(key)), timeoutMillis);
            return bytes == null ? -1 : bytes;
        } catch (DictionaryStoreException e) {
            if (e.refused()) {
                return -1;
            }
            throw e;
        }
    }

    /**
     * A warning when Redis may evict dictionaries: {@code maxmemory-policy} is an {@code allkeys-*} policy (on any master
     * of a cluster). Empty when it is not, or when {@code CONFIG GET} is refused or cannot be sent.
     */
    public Optional<String> evictionRisk() {
        try {
            for (Map.Entry<String, StatefulRedisConnection<byte[], byte[]>> node
                    : connection().masterConnections(RedisClientFactory.describeEndpoint(config)).entrySet()) {
                Map<String, String> reply = node.getValue().async().configGet("maxmemory-policy")
                        .get(timeoutMillis, TimeUnit.MILLISECONDS);
                String policy = reply.get("maxmemory-policy");
                if (policy != null && policy.toLowerCase(Locale.ROOT).startsWith("allkeys-")) {
                    return Optional.of("Redis evicts any key when memory runs short (maxmemory-policy " + policy + " on "
                            + node.getKey() + "): dictionaries (" + prefix + ":<id>) can be evicted too, "
                            + "and values naming an evicted dictionary are unreadable until the connector stores it again; use a "
                            + "volatile-* or noeviction policy, or keep used memory well below maxmemory");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("Cannot read maxmemory-policy (CONFIG GET): {}", e.toString());
        }
        return Optional.empty();
    }

    /** Frees the client and its connections; idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (redis != null) {
            redis.close();
            redis = null;
        }
    }

    // ---- connecting and awaiting -------------------------------------------------------------------------------------

    private synchronized boolean isClosed() {
        return closed;
    }

    private synchronized LettuceConnection connection() {
        if (closed) {
            throw new IllegalStateException("dictionary store closed");
        }
        if (redis == null) {
            redis = RedisClientFactory.connect(config);
        }
        return redis;
    }

    /**
     * The commands of the node that owns {@code key}, connected before anything is sent: Lettuce's cluster connection
     * opens node connections lazily and rejects the commands meanwhile. No redirect is followed: a MOVED is a refusal,
     * and the client reloads its slot map every 30 s.
     */
    private RedisAsyncCommands<byte[], byte[]> nodeFor(String key) throws DictionaryStoreException {
        byte[] keyBytes = bytes(key);
        return call(key, "connecting to the node that owns", () -> connection().connectionFor(keyBytes)).async();
    }

    /** A blocking step that can fail with Lettuce's unchecked exceptions (connecting, a node connection). */
    private <T> T call(String key, String what, Supplier<T> step) throws DictionaryStoreException {
        try {
            return step.get();
        } catch (RuntimeException e) {
            if (isClosed()) {
                throw new IllegalStateException("dictionary store closed", e);
            }
            throw failure(key, what, e);
        }
    }

    private <T> T await(String key, String what, Supplier<? extends CompletionStage<T>> command, long boundMillis)
            throws DictionaryStoreException {
        try {
            return call(key, what, command).toCompletableFuture().get(boundMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure(key, what, e.getCause());
        } catch (TimeoutException e) {
            throw failure(key, what, new RedisCommandTimeoutException("no reply within " + boundMillis + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DictionaryStoreException(what + " " + key + " interrupted", false, e);
        }
    }

    /** Redis's reply as a refusal naming the setting to change; anything else (no answer in time, no connection) not. */
    private DictionaryStoreException failure(String key, String what, Throwable error) {
        if (error instanceof ConfigException setting) {
            // a TLS store that cannot be read, found when the client connects: the message names the setting
            return new DictionaryStoreException(what + " " + key + " failed: " + setting.getMessage(), true, error);
        }
        Throwable reply = error;
        while (!(reply instanceof RedisCommandExecutionException) && reply.getCause() != null && reply.getCause() != reply) {
            reply = reply.getCause();
        }
        if (reply instanceof RedisCommandExecutionException refusal) {
            return new DictionaryStoreException(what + " " + key + " refused by Redis: " + refusal.getMessage() + " ("
                    + remedy(refusal.getMessage()) + ")", true, error);
        }
        String detail = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        String hint = error instanceof RedisCommandTimeoutException
                ? "Redis did not answer within " + RedisSinkConfig.REDIS_COMMAND_TIMEOUT_MS + "=" + config.commandTimeout().toMillis()
                : "Redis could not be reached at " + RedisClientFactory.describeEndpoint(config);
        return new DictionaryStoreException(what + " " + key + " failed: " + hint + " (" + detail + ")", false, error);
    }

    private String remedy(String reply) {
        String code = reply == null ? "" : reply.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        return switch (code) {
            case "NOPERM" -> {
                String user = RedisClientFactory.aclUser(config);
                String grant = "~" + prefix + ":* +set +get +exists" + (waitReplicas > 0 ? " +wait" : "");
                yield "the ACL user '" + user + "' of " + RedisSinkConfig.REDIS_USERNAME + " needs " + grant + " (ACL SETUSER "
                        + user + " " + grant + "), or set " + RedisSinkConfig.COMPRESSION_DICTIONARY_KEY_PREFIX
                        + " to a prefix the user may write";
            }
            case "WRONGPASS", "NOAUTH" -> "check " + RedisSinkConfig.REDIS_USERNAME + " and " + RedisSinkConfig.REDIS_PASSWORD;
            case "OOM" -> "Redis is at its maxmemory: raise maxmemory on the server or free memory";
            case "READONLY" -> RedisSinkConfig.REDIS_URI + " leads to a replica: point it at the master (or use "
                    + RedisSinkConfig.REDIS_MODE + "=sentinel)";
            case "WRONGTYPE" -> "the key holds another type of value: set " + RedisSinkConfig.COMPRESSION_DICTIONARY_KEY_PREFIX
                    + " to a prefix nothing else uses";
            case "MOVED", "ASK" -> "the key's slot moved to another cluster node; the client reloads its slot map every 30 s";
            default -> "see " + RedisSinkConfig.COMPRESSION_DICTIONARY_KEY_PREFIX + "=" + prefix + " and the server's state";
        };
    }

    /** {@code text} as a SCAN MATCH glob that matches only itself. */
    static String globEscape(String text) {
        StringBuilder glob = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                glob.append('\\');
            }
            glob.append(c);
        }
        return glob.toString();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
