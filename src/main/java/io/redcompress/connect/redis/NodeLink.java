package io.redcompress.connect.redis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ArrayOutput;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerListOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * The connection to one Redis node (a standalone server, a Sentinel-found master, or one cluster master), auto-flush
 * off. Everything sent on it goes through {@link #send}, which queues a group of writes and its WAIT as one
 * uninterrupted run and flushes it at once, so that {@code ASKING} is directly followed by its command and a WAIT
 * follows the writes it vouches for on the very connection that carried them (WAIT counts only its own
 * connection's writes).
 *
 * <p>The group is handed to Lettuce as one collection: Lettuce takes its endpoint lock once per dispatch, and per-command
 * dispatch through its API (a lock, look-ups and several objects per command) was the largest cost of the task thread
 * in a profile. With {@code batchWrites}, each run of consecutive SETs without expiry becomes one {@code MSET} (up to
 * {@value #MAX_KEYS_PER_MSET} keys or {@value #MAX_BYTES_PER_MSET} bytes): one command and one reply for many keys, and
 * the same result as the SETs in order, duplicate keys included. Runs of bucket HSETs without expiry go the same way as one
 * {@code EVAL} of {@link #HSET_SCRIPT} (Redis has no multi-key HSET): one HSET per record was half the throughput of
 * MSET, in Lettuce's per-command cost and in Redis's. EVAL, not EVALSHA: Redis caches the compiled script by its digest,
 * and a failover or SCRIPT FLUSH cannot make it unknown.
 */
final class NodeLink implements AutoCloseable {

    static final int MAX_KEYS_PER_MSET = 512;
    static final int MAX_BYTES_PER_MSET = 512 * 1024;

    /**
     * HSET of each key's field and value, in order: {@code KEYS[i]} with {@code ARGV[2i-1]}, {@code ARGV[2i]}. A failing
     * HSET stops the script with the ones before it applied; the batch is then sent again (HSETs are idempotent).
     */
    static final byte[] HSET_SCRIPT = ("for i = 1, #KEYS do redis.call('HSET', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]) end "
            + "return redis.status_reply('OK')").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * The replies of one group: per write, in order, the reply of the command that carried it (writes batched into one
     * MSET or HSET script share its reply, OK, and are set in {@code batched}), and the WAIT after them (null without WAIT).
     */
    record Sent(List<CompletableFuture<Object>> replies, BitSet batched, CompletableFuture<Long> replicaWait,
                CompletableFuture<Void> allDone) {
    }

    /** A command succeeded with a reply that means the write did not do what it should: transient, retried. */
    static class UnexpectedReply extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnexpectedReply(String message) {
            super(message);
        }
    }

    /**
     * A write of an append script that did not run because an earlier write of the same script failed: nothing of it
     * was applied, and it has no verdict of its own (see {@link FailureKind#RESEND}).
     */
    static final class NotRun extends UnexpectedReply {
        private static final long serialVersionUID = 1L;

        NotRun(String message) {
            super(message);
        }
    }

    private final String node;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    NodeLink(String node, StatefulRedisConnection<byte[], byte[]> connection) {
        this.node = node;
        this.connection = connection;
        connection.setAutoFlushCommands(false);
    }

    /** host:port, as the cluster names the node (or the configured endpoint, for a standalone server). */
    String node() {
        return node;
    }

    boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * Queues the writes in order, each one flagged in {@code asking} right after an {@code ASKING}, then, when
     * {@code waitReplicas > 0}, one {@code WAIT}; and flushes. Never throws: commands that cannot be queued get failed
     * futures.
     */
    synchronized Sent send(List<RedisWrite> writes, BitSet asking, boolean batchWrites, int waitReplicas, long waitTimeoutMillis) {
        List<RedisCommand<byte[], byte[], ?>> commands = new ArrayList<>();
        List<CompletableFuture<Object>> replies = new ArrayList<>(writes.size());
        BitSet batched = new BitSet();
        List<CompletableFuture<Object>> composites = new ArrayList<>();
        int i = 0;
        while (i < writes.size()) {
            int run = batchWrites && !asking.get(i) ? batchLength(writes, i, asking) : 1;
            if (writes.get(i) instanceof RedisWrite.Append) {
                queueAppends(writes, i, run, asking.get(i), commands, replies, composites);
                i += run;
                continue;
            }
            AsyncCommand<byte[], byte[], Object> command;
            if (run > 1) {
                command = writes.get(i) instanceof RedisWrite.SetField ? hsetScript(writes, i, run) : mset(writes, i, run);
                batched.set(i, i + run);
            } else {
                RedisWrite write = writes.get(i);
                if (write instanceof RedisWrite.SetField || write instanceof RedisWrite.DeleteField) {
                    CompletableFuture<Object> reply = queueFieldWrite(write, asking.get(i), commands);
                    replies.add(reply);
                    composites.add(reply);
                    i++;
                    continue;
                }
                queueAsking(asking.get(i), commands);
                command = single(write);
            }
            commands.add(command);
            for (int k = 0; k < run; k++) {
                replies.add(command);
            }
            i += run;
        }
        AsyncCommand<byte[], byte[], Long> wait = null;
        if (waitReplicas > 0) {
            wait = command(CommandType.WAIT, new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                    args().add(waitReplicas).add(waitTimeoutMillis));
            commands.add(wait);
        }
        try {
            connection.dispatch(commands);
        } catch (RuntimeException e) {
            commands.forEach(command -> command.completeExceptionally(e));
        } finally {
            connection.flushCommands();
        }
        // the replies of writes made of several commands are derived futures: done only after their commands
        List<CompletableFuture<?>> awaited = new ArrayList<>(commands.size() + composites.size());
        commands.forEach(c -> awaited.add((CompletableFuture<?>) c));
        awaited.addAll(composites);
        CompletableFuture<Void> allDone = CompletableFuture.allOf(awaited.toArray(CompletableFuture[]::new))
                .handle((ignored, error) -> null);
        return new Sent(replies, batched, wait, allDone);
    }

    /**
     * How many writes from {@code from} on form a run that one command can carry: SETs without expiry (an MSET) or
     * bucket HSETs without expiry (an HSET script), never both in one run.
     */
    private static int batchLength(List<RedisWrite> writes, int from, BitSet asking) {
        Class<?> kind = writes.get(from).getClass();
        int keys = 0;
        long bytes = 0;
        for (int i = from; i < writes.size() && keys < MAX_KEYS_PER_MSET && !asking.get(i); i++) {
            RedisWrite write = writes.get(i);
            if (write.getClass() != kind || !batchable(write) || !sameScriptRun(writes.get(from), write)) {
                break;
            }
            bytes += write.key().length + write.encodedLength()
                    + (write instanceof RedisWrite.SetField field ? field.field().length : 0);
            if (keys > 0 && bytes > MAX_BYTES_PER_MSET) {
                break;
            }
            keys++;
        }
        return Math.max(keys, 1);
    }

    /** Appends share one script call only with the same partition, trim and ttl: its header carries them. */
    private static boolean sameScriptRun(RedisWrite first, RedisWrite write) {
        return !(first instanceof RedisWrite.Append a) || write instanceof RedisWrite.Append b
                && a.recordId().topicPartition().equals(b.recordId().topicPartition())
                && a.maxLength() == b.maxLength() && a.maxAgeMillis() == b.maxAgeMillis() && a.ttlMillis() == b.ttlMillis();
    }

    private static boolean batchable(RedisWrite write) {
        return write instanceof RedisWrite.SetValue set && set.ttlMillis() == 0
                || write instanceof RedisWrite.SetField field && field.ttlMillis() == 0
                || write instanceof RedisWrite.Append;
    }

    /** The command a batched write went in, for messages: MSET or the HSET script. */
    static String batchCommand(RedisWrite write) {
        return write instanceof RedisWrite.SetField ? "EVAL of the HSET script" : "MSET";
    }

    private static AsyncCommand<byte[], byte[], Object> hsetScript(List<RedisWrite> writes, int from, int count) {
        return command(CommandType.EVAL, new StatusOutput<>(ByteArrayCodec.INSTANCE),
                BulkArgs.scriptFieldsAndValues(HSET_SCRIPT, writes, from, count));
    }

    private static AsyncCommand<byte[], byte[], Object> mset(List<RedisWrite> writes, int from, int count) {
        return command(CommandType.MSET, new StatusOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.keysAndValues(writes, from, count));
    }

    /** {@code ASKING} before a command sent to a node that is importing its slot; its own reply does not matter. */
    private static void queueAsking(boolean asking, List<RedisCommand<byte[], byte[], ?>> commands) {
        if (asking) {
            // without it, the command is answered MOVED/ASK again
            commands.add(command(CommandType.ASKING, new StatusOutput<>(ByteArrayCodec.INSTANCE), args()));
        }
    }

    /**
     * Queues the commands of a write to a bucket: HSET (then HPEXPIRE, with a TTL), or HDEL (after the HDEL of the
     * field's previous bucket, while re-bucketing). The reply is HSET's or HDEL's, once every command of the write has
     * answered; it fails with the first failure, or when HPEXPIRE did not set the expiry.
     */
    private static CompletableFuture<Object> queueFieldWrite(RedisWrite write, boolean asking,
                                                             List<RedisCommand<byte[], byte[], ?>> commands) {
        List<AsyncCommand<byte[], byte[], ?>> parts = new ArrayList<>(2);
        AsyncCommand<byte[], byte[], Object> main;
        AsyncCommand<byte[], byte[], List<Long>> expiry = null;
        if (write instanceof RedisWrite.SetField set) {
            main = command(CommandType.HSET, new IntegerOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.fieldAndValue(set));
            parts.add(main);
            if (set.ttlMillis() > 0) {
                expiry = command(CommandType.HPEXPIRE, new IntegerListOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.fieldExpiry(set));
                parts.add(expiry);
            }
        } else {
            RedisWrite.DeleteField delete = (RedisWrite.DeleteField) write;
            if (delete.previousKey() != null) {
                parts.add(command(CommandType.HDEL, new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                        BulkArgs.field(delete.previousKey(), delete.field())));
            }
            main = command(CommandType.HDEL, new IntegerOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.field(delete.key(), delete.field()));
            parts.add(main);
        }
        for (AsyncCommand<byte[], byte[], ?> part : parts) {
            queueAsking(asking, commands);
            commands.add(part);
        }
        return fieldWriteReply(parts, main, expiry);
    }

    /**
     * The reply of a write made of {@code parts}: {@code main}'s, once every part has answered; failed with the first
     * part's failure, or when {@code expiry} (HPEXPIRE, null without) did not answer [1], the field's expiry set.
     */
    static CompletableFuture<Object> fieldWriteReply(List<? extends CompletableFuture<?>> parts, CompletableFuture<Object> main,
                                                     CompletableFuture<List<Long>> expiry) {
        if (parts.size() == 1 && expiry == null) {
            return main; // a lone HSET or HDEL, the common write: its own reply, without a derived future per record
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            if (expiry != null && !List.of(1L).equals(expiry.join())) {
                throw new UnexpectedReply("HPEXPIRE answered " + expiry.join() + " instead of [1]: the field's "
                        + "expiry was not set");
            }
            return main.join();
        });
    }

    /**
     * Appends (RPUSH, LPUSH, XADD) and DELs of lists or streams, in order, each with its trim and expiry; with a mark
     * key (exactly once), each only for a record above its partition's high-water mark in it, which it then raises,
     * and only once the mark has reached the partition's previous write to the slot (docs/commands.md). Answers one
     * element per write: 1 applied, 0 a duplicate, the error text of the first write that failed (a GAP, or Redis's
     * reply), and -1 for each write after it, not run. ARGV: the number of writes, their topic/partition, max length,
     * ttl ms and a stream's max age ms (0: none; one run shares them), then per write: command, offset, previous offset
     * (-1: any), 1 with a mark key, payload length, payload. KEYS: per write its data key, then its mark key if it has
     * one.
     */
    static final byte[] APPEND_SCRIPT = """
            local n, tp, max, ttl, maxAge = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local results, k, a = {}, 1, 6
            local minid = nil
            if maxAge > 0 then
              -- Redis's clock, the one its entry ids come from; before any write (Redis 6.2 replicates effects only then)
              if redis.replicate_commands then redis.replicate_commands() end
              local now = redis.call('TIME')
              minid = string.format('%.0f', math.max(1, tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - maxAge))
            end
            local function stop(i, failure)
              results[i] = failure
              for j = i + 1, n do results[j] = -1 end
              return results
            end
            for i = 1, n do
              local command, offsetText, previous = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
              local offset = tonumber(offsetText)
              local marked, first, last = ARGV[a + 3] == '1', a + 5, a + 4 + tonumber(ARGV[a + 4])
              a = last + 1
              local key, mark = KEYS[k], nil
              k = k + 1
              if marked then mark = KEYS[k]; k = k + 1 end
              local applied = true
              if mark then
                local current = tonumber(redis.call('HGET', mark, tp) or '-1')
                if current >= offset then
                  applied = false
                elseif previous >= 0 and current < previous then
                  return stop(i, 'GAP ' .. tp .. ' offset ' .. offset .. ': the previous write of the partition to this '
                    .. 'slot, offset ' .. previous .. ', is not applied (the mark is at ' .. current .. ')')
                end
              end
              if applied then
                local reply
                if command == 'RPUSH' or command == 'LPUSH' then
                  reply = redis.pcall(command, key, ARGV[first])
                elseif command == 'XADD' then
                  if max > 0 then
                    reply = redis.pcall('XADD', key, 'MAXLEN', '~', max, '*', unpack(ARGV, first, last))
                  elseif minid then
                    reply = redis.pcall('XADD', key, 'MINID', '~', minid, '*', unpack(ARGV, first, last))
                  else
                    reply = redis.pcall('XADD', key, '*', unpack(ARGV, first, last))
                  end
                else
                  reply = redis.pcall('DEL', key)
                end
                if type(reply) == 'table' and reply.err then return stop(i, reply.err) end
                if max > 0 and command == 'RPUSH' then redis.call('LTRIM', key, -max, -1) end
                if max > 0 and command == 'LPUSH' then redis.call('LTRIM', key, 0, max - 1) end
                if ttl > 0 and command ~= 'DEL' then redis.call('PEXPIRE', key, ttl) end
                if mark then redis.call('HSET', mark, tp, offsetText) end
                results[i] = 1
              else
                results[i] = 0
              end
            end
            return results
            """.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The script of a run of appends, and a reply per append: its element of the script's answer. */
    private static void queueAppends(List<RedisWrite> writes, int from, int count, boolean asking,
                                     List<RedisCommand<byte[], byte[], ?>> commands, List<CompletableFuture<Object>> replies,
                                     List<CompletableFuture<Object>> composites) {
        queueAsking(asking, commands);
        AsyncCommand<byte[], byte[], List<Object>> script = command(CommandType.EVAL,
                new ArrayOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.appends(APPEND_SCRIPT, writes, from, count));
        commands.add(script);
        for (int k = 0; k < count; k++) {
            int index = k;
            CompletableFuture<Object> reply = script.thenApply(results -> appendResult(results, index, count));
            replies.add(reply);
            composites.add(reply);
        }
    }

    /** 1 (applied) or 0 (a duplicate); fails with the write's error, or as not run after an earlier write failed. */
    static Object appendResult(List<Object> results, int index, int count) {
        if (results == null || results.size() != count) {
            throw new UnexpectedReply("the append script answered " + (results == null ? "nothing" : results.size()
                    + " results") + " for " + count + " writes");
        }
        Object result = results.get(index);
        if (result instanceof byte[] error) {
            throw new io.lettuce.core.RedisCommandExecutionException(new String(error, java.nio.charset.StandardCharsets.UTF_8));
        }
        if (Long.valueOf(-1).equals(result)) {
            throw new NotRun("not run: an earlier write of the same script failed");
        }
        return result;
    }

    /** A command on one key, then PEXPIRE of the key, as one step: {@code KEYS[1]}; ARGV: ttl ms, command, arguments. */
    static final byte[] EXPIRING_SCRIPT = ("redis.call(ARGV[2], KEYS[1], unpack(ARGV, 3)) "
            + "redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static AsyncCommand<byte[], byte[], Object> single(RedisWrite write) {
        if (write instanceof RedisWrite.KeyCommand command) {
            if (command.ttlMillis() > 0) {
                return command(CommandType.EVAL, new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                        BulkArgs.expiring(EXPIRING_SCRIPT, command));
            }
            return command(CommandType.valueOf(command.command().name()), new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                    BulkArgs.keyAndArguments(command.key(), command.arguments()));
        }
        if (write instanceof RedisWrite.SetValue set) {
            return command(CommandType.SET, new StatusOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.set(set));
        }
        return command(CommandType.DEL, new IntegerOutput<>(ByteArrayCodec.INSTANCE), BulkArgs.key(write.key()));
    }

    private static CommandArgs<byte[], byte[]> args() {
        return new CommandArgs<>(ByteArrayCodec.INSTANCE);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> AsyncCommand<byte[], byte[], T> command(CommandType type, CommandOutput<byte[], byte[], ?> output,
                                                               CommandArgs<byte[], byte[]> args) {
        return new AsyncCommand<>(new Command(type, output, args));
    }

    /** Closes without waiting: whatever is still in flight fails, and is retried like any lost connection. */
    @Override
    public void close() {
        connection.closeAsync();
    }

    @Override
    public String toString() {
        return "NodeLink[" + node + (isOpen() ? "" : ", disconnected") + "]";
    }
}
