package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.lettuce.core.MapScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.BucketLayout;

/**
 * The Redis commands of a re-bucketing (the tool's {@code rebucket}): the layout marker read and replaced by
 * compare-and-set, Redis's clock, the cursor key {@code <prefix>rebucket}, the fields of a bucket, and moving entries
 * from an old bucket to their new ones. Not thread-safe; one per run.
 */
public final class RedisBucketMigration implements AutoCloseable {

    /** The suffix of the cursor key: it does not end in digits, so it is no bucket. */
    public static final String CURSOR_SUFFIX = "rebucket";

    /** How many entries one move script takes at most: short enough that Redis is never blocked for long. */
    static final int MOVE_BATCH = 100;

    /** Sets KEYS[1] to ARGV[2] only if it still holds ARGV[1]: 1 when replaced. */
    private static final String COMPARE_AND_SET = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2])
              return 1
            end
            return 0""";

    /**
     * Moves field ARGV[i] (i >= 3) from the old bucket KEYS[1] to its new bucket KEYS[i], atomically: a field the
     * connector deleted meanwhile is skipped, one it wrote to the new bucket already keeps that newer value (the old one
     * is dropped). With ARGV[1] == '1' (Redis 7.4+) the field's expiry moves with it. Nothing moves unless the marker
     * KEYS[2] still holds ARGV[2], the migrating marker: one deleted or evicted and stored again as a plain count would
     * have switched off the tasks' HDEL of the old bucket, and a move could bring back an entry a tombstone deleted.
     * Returns {moved, superseded, gone}, or {-1, 0, 0} when the marker changed.
     */
    private static final String MOVE = """
            if redis.call('GET', KEYS[2]) ~= ARGV[2] then
              return {-1, 0, 0}
            end
            local moved, superseded, gone = 0, 0, 0
            for i = 3, #ARGV do
              local field = ARGV[i]
              local value = redis.call('HGET', KEYS[1], field)
              if value then
                if redis.call('HSETNX', KEYS[i], field, value) == 1 then
                  moved = moved + 1
                  if ARGV[1] == '1' then
                    local at = redis.call('HPEXPIRETIME', KEYS[1], 'FIELDS', 1, field)[1]
                    if at > 0 then
                      redis.call('HPEXPIREAT', KEYS[i], at, 'FIELDS', 1, field)
                    end
                  end
                else
                  superseded = superseded + 1
                end
                redis.call('HDEL', KEYS[1], field)
              else
                gone = gone + 1
              end
            end
            return {moved, superseded, gone}""";

    /** One entry to move: its field and the key of its new bucket. */
    public record Move(byte[] field, byte[] newBucketKey) {
    }

    /**
     * What moving a batch did.
     *
     * @param moved      entries written to their new bucket and deleted from the old one
     * @param superseded entries the new bucket held already (written by the connector since): the old value was dropped
     * @param gone       entries no longer in the old bucket (deleted by a tombstone meanwhile)
     */
    public record Moved(long moved, long superseded, long gone) {

        public static final Moved NONE = new Moved(0, 0, 0);

        public Moved plus(Moved other) {
            return new Moved(moved + other.moved, superseded + other.superseded, gone + other.gone);
        }
    }

    private final LettuceConnection connection;
    private final String endpoint;
    private final byte[] markerKey;
    private final byte[] cursorKey;
    private final boolean fieldExpiry;
    private final int waitReplicas;
    private final long waitTimeoutMillis;

    private RedisBucketMigration(LettuceConnection connection, String endpoint, byte[] prefix, int waitReplicas,
                                 long waitTimeoutMillis) {
        this.connection = connection;
        this.waitReplicas = waitReplicas;
        this.waitTimeoutMillis = waitTimeoutMillis;
        this.endpoint = endpoint;
        this.markerKey = BucketLayout.markerKey(prefix);
        this.cursorKey = concat(prefix, CURSOR_SUFFIX.getBytes(StandardCharsets.US_ASCII));
        this.fieldExpiry = supportsFieldExpiry(serverVersion());
    }

    /**
     * Connects as redis.mode says, for the buckets under redis.bucket.prefix.
     *
     * @throws RedisKeyspace.RedisAccessException if Redis cannot be reached or refuses the credentials
     */
    public static RedisBucketMigration open(RedisSinkConfig config) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        LettuceConnection connection = Replies.connect(config, endpoint);
        try {
            return new RedisBucketMigration(connection, endpoint, config.bucketPrefix().getBytes(StandardCharsets.UTF_8),
                    config.waitReplicas(), config.waitTimeout().toMillis());
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    public String endpoint() {
        return endpoint;
    }

    public String markerKeyText() {
        return new String(markerKey, StandardCharsets.UTF_8);
    }

    public String cursorKeyText() {
        return new String(cursorKey, StandardCharsets.UTF_8);
    }

    /** Whether the server keeps an expiry per hash field (Redis 7.4+), which then moves with the entry. */
    public boolean fieldExpiry() {
        return fieldExpiry;
    }

    /** The marker's bytes as stored, or null when there is none. */
    public byte[] readMarker() {
        return await(on(markerKey).get(markerKey));
    }

    /** Replaces the marker with {@code replacement} only if it still holds {@code expected}; whether it did. */
    public boolean replaceMarker(byte[] expected, byte[] replacement) {
        RedisAsyncCommands<byte[], byte[]> node = on(markerKey);
        Long replaced = await(node.eval(COMPARE_AND_SET, ScriptOutputType.INTEGER, new byte[][] {markerKey},
                expected, replacement));
        if (replaced != null && replaced == 1 && waitReplicas > 0) {
            // with redis.wait.replicas, as the connector's own writes: a failover must not bring back the old marker
            Long acknowledged = await(node.waitForReplication(waitReplicas, waitTimeoutMillis));
            if (acknowledged == null || acknowledged < waitReplicas) {
                throw new IllegalStateException("WAIT after changing " + markerKeyText() + ": only " + acknowledged + " of "
                        + waitReplicas + " replicas acknowledged within " + waitTimeoutMillis + " ms ("
                        + RedisSinkConfig.REDIS_WAIT_REPLICAS + "); run rebucket again once the replicas are back");
            }
        }
        return replaced != null && replaced == 1;
    }

    /** Redis's clock (TIME), in ms since the epoch: the clock the marker's {@code since} is read by. */
    public long serverTimeMillis() {
        var anyMaster = Replies.call(() -> connection.masterConnections(endpoint), endpoint).values().iterator().next();
        List<byte[]> time = await(anyMaster.async().time());
        long seconds = Long.parseLong(new String(time.get(0), StandardCharsets.US_ASCII));
        long micros = Long.parseLong(new String(time.get(1), StandardCharsets.US_ASCII));
        return seconds * 1000 + micros / 1000;
    }

    /**
     * Where a re-bucketing from {@code from} to {@code to} buckets stands: old buckets before {@code next} are done.
     * Stored as {@code from=M to=N next=b}, so that a run can be resumed even if the marker lost its migrating state.
     */
    public record Cursor(int from, int to, int next) {

        String format() {
            return "from=" + from + " to=" + to + " next=" + next;
        }

        static Cursor parse(String text) {
            java.util.Map<String, Integer> pairs = new java.util.HashMap<>();
            for (String part : text.trim().split(" +")) {
                int eq = part.indexOf('=');
                if (eq < 1) {
                    return null;
                }
                try {
                    pairs.put(part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return pairs.keySet().containsAll(List.of("from", "to", "next"))
                    ? new Cursor(pairs.get("from"), pairs.get("to"), pairs.get("next")) : null;
        }
    }

    /**
     * The cursor, or null when none is stored.
     *
     * @throws IllegalStateException when the cursor key holds something else
     */
    public Cursor readCursor() {
        byte[] stored = await(on(cursorKey).get(cursorKey));
        if (stored == null) {
            return null;
        }
        String text = new String(stored, StandardCharsets.UTF_8);
        Cursor cursor = Cursor.parse(text);
        if (cursor == null) {
            throw new IllegalStateException(cursorKeyText() + " holds '" + text + "', not a re-bucketing cursor "
                    + "('from=<old count> to=<new count> next=<old bucket>')");
        }
        return cursor;
    }

    public void writeCursor(Cursor cursor) {
        await(on(cursorKey).set(cursorKey, cursor.format().getBytes(StandardCharsets.US_ASCII)));
    }

    public void deleteCursor() {
        await(on(cursorKey).del(cursorKey));
    }

    /** Every field of the hash {@code bucketKey} (HSCAN), in HSCAN order; empty when it does not exist. */
    public List<byte[]> fields(byte[] bucketKey) {
        ScanArgs args = ScanArgs.Builder.limit(MOVE_BATCH * 5L);
        List<byte[]> fields = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            MapScanCursor<byte[], byte[]> page = await(on(bucketKey).hscan(bucketKey, cursor, args));
            fields.addAll(page.getMap().keySet());
            cursor = page;
        } while (!cursor.isFinished());
        return fields;
    }

    /**
     * Moves entries of the old bucket {@code oldBucketKey} to their new buckets, each atomically by a script, in
     * batches of {@value #MOVE_BATCH}: safe while the connector writes, on one node (standalone or Sentinel). In a
     * cluster the old and new bucket live in different slots, where no script reaches both: use
     * {@link #moveStepwise}.
     */
    public Moved moveAtomically(byte[] oldBucketKey, List<Move> moves, byte[] migratingMarker) {
        Moved total = Moved.NONE;
        for (int from = 0; from < moves.size(); from += MOVE_BATCH) {
            List<Move> batch = moves.subList(from, Math.min(moves.size(), from + MOVE_BATCH));
            byte[][] keys = new byte[batch.size() + 2][];
            byte[][] args = new byte[batch.size() + 2][];
            keys[0] = oldBucketKey;
            keys[1] = markerKey;
            args[0] = (fieldExpiry ? "1" : "0").getBytes(StandardCharsets.US_ASCII);
            args[1] = migratingMarker;
            for (int i = 0; i < batch.size(); i++) {
                keys[i + 2] = batch.get(i).newBucketKey();
                args[i + 2] = batch.get(i).field();
            }
            List<Long> counts = await(on(keys[0]).eval(MOVE, ScriptOutputType.MULTI, keys, args));
            if (counts.get(0) < 0) {
                throw new MarkerChanged(markerKeyText());
            }
            total = total.plus(new Moved(counts.get(0), counts.get(1), counts.get(2)));
        }
        return total;
    }

    /** The marker no longer says this re-bucketing runs: nothing more is moved until it is looked at again. */
    public static final class MarkerChanged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MarkerChanged(String markerKey) {
            super(markerKey + " no longer holds the marker of this re-bucketing (deleted, evicted, or changed by another "
                    + "run); no entry was moved after that. Run rebucket again with the same --to: it finds where the "
                    + "layout stands from the marker and the cursor");
        }
    }

    /**
     * Moves entries as separate commands (HGET, HSETNX, the expiry, HDEL), for a cluster whose connector is stopped:
     * with no other writer, each step can be repeated after a crash with the same result. A field the new bucket holds
     * already was put there by an earlier, interrupted run (no connector runs), so its expiry is copied again.
     */
    public Moved moveStepwise(byte[] oldBucketKey, List<Move> moves, byte[] migratingMarker) {
        if (!Arrays.equals(readMarker(), migratingMarker)) {
            throw new MarkerChanged(markerKeyText());
        }
        Moved total = Moved.NONE;
        for (Move move : moves) {
            byte[] field = move.field();
            // the expiry before the value: a field that expires in between is gone, never copied without its expiry
            Long at = fieldExpiry ? await(on(oldBucketKey).hpexpiretime(oldBucketKey, field)).get(0) : null;
            byte[] value = await(on(oldBucketKey).hget(oldBucketKey, field));
            if (value == null) {
                total = total.plus(new Moved(0, 0, 1));
                continue;
            }
            boolean set = await(on(move.newBucketKey()).hsetnx(move.newBucketKey(), field, value));
            if (at != null && at > 0) {
                await(on(move.newBucketKey()).hpexpireat(move.newBucketKey(), at, field));
            }
            await(on(oldBucketKey).hdel(oldBucketKey, field));
            total = total.plus(set ? new Moved(1, 0, 0) : new Moved(0, 1, 0));
        }
        return total;
    }

    /**
     * The lowest version among the nodes that hold keys. INFO and TIME name no key, so in a cluster they go to a
     * master's own connection: the cluster connection has no node for them before it sent a keyed command.
     */
    private String serverVersion() {
        String lowest = null;
        for (var node : Replies.call(() -> connection.masterConnections(endpoint), endpoint).values()) {
            String info = await(node.async().info("server"));
            String version = info.lines().filter(line -> line.startsWith("redis_version:")).findFirst()
                    .map(line -> line.substring("redis_version:".length()).trim()).orElse("0.0.0");
            if (lowest == null || !supportsFieldExpiry(version)) {
                lowest = version;
            }
        }
        return lowest == null ? "0.0.0" : lowest;
    }

    /** Redis 7.4 brought an expiry per hash field (HPEXPIRETIME, HPEXPIREAT). */
    static boolean supportsFieldExpiry(String version) {
        return RedisConnectivityCheck.atLeast(version, 7, 4);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    /**
     * The commands of the node that owns {@code key}: in a cluster its master's own connection, since the cluster
     * connection rejects commands for a node it has not connected to yet (a script's keys must share that node).
     */
    private RedisAsyncCommands<byte[], byte[]> on(byte[] key) {
        return Replies.call(() -> connection.connectionFor(key), endpoint).async();
    }

    private <T> T await(java.util.concurrent.Future<T> future) {
        return Replies.await(future, endpoint);
    }

    @Override
    public void close() {
        connection.close();
    }
}
