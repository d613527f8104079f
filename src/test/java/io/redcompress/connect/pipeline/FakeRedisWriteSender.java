package io.redcompress.connect.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.redis.FailureKind;
import io.redcompress.connect.redis.RedisWriteSender;
import io.redcompress.connect.redis.WriteResult;

/**
 * An in-memory stand-in for Redis in unit tests of the pipeline and task: applies writes to a map in order (a bucket's
 * field under "bucket/field") and fails the ones a rule matches. Integration tests use a real redis-server instead.
 */
public final class FakeRedisWriteSender implements RedisWriteSender {

    private record FailureRule(Predicate<RedisWrite> matches, FailureKind kind, String reply, int[] remaining) {
    }

    /** What Redis 6.2/7.0 answer a SET or DEL of a key outside the ACL user's key patterns: about that one record. */
    public static final String KEY_OUTSIDE_ACL = "NOPERM this user has no permissions to access one of the keys used as arguments";

    public final Map<String, byte[]> data = new HashMap<>();
    public final List<List<RedisWrite>> pipelinesSent = new ArrayList<>();
    private final List<FailureRule> rules = new ArrayList<>();
    public boolean closed;
    private CompletableFuture<Void> held = CompletableFuture.completedFuture(null);

    /** The next {@code times} writes to {@code key} fail with this kind and reply. */
    public FakeRedisWriteSender failKey(String key, FailureKind kind, String reply, int times) {
        rules.add(new FailureRule(w -> new String(w.key(), StandardCharsets.UTF_8).equals(key), kind, reply, new int[] {times}));
        return this;
    }

    /** Replies from now on arrive only once {@code until} completes (they are applied at once, as Redis would). */
    public FakeRedisWriteSender holdReplies(CompletableFuture<Void> until) {
        this.held = until;
        return this;
    }

    @Override
    public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
        pipelinesSent.add(List.copyOf(writes));
        List<WriteResult> results = new ArrayList<>();
        for (RedisWrite write : writes) {
            FailureRule rule = rules.stream().filter(r -> r.remaining()[0] > 0 && r.matches().test(write)).findFirst().orElse(null);
            if (rule != null) {
                rule.remaining()[0]--;
                results.add(WriteResult.failed(write, rule.kind(), rule.reply(), null));
                continue;
            }
            String key = new String(write.key(), StandardCharsets.UTF_8);
            if (write instanceof RedisWrite.SetValue set) {
                data.put(key, set.encodedValue());
            } else if (write instanceof RedisWrite.SetField field) {
                data.put(key + "/" + new String(field.field(), StandardCharsets.UTF_8), field.encodedValue());
            } else if (write instanceof RedisWrite.DeleteField field) {
                data.remove(key + "/" + new String(field.field(), StandardCharsets.UTF_8));
            } else {
                data.remove(key);
            }
            results.add(WriteResult.acknowledged(write));
        }
        return held.thenApply(ignored -> results);
    }

    public int writesSent() {
        return pipelinesSent.stream().mapToInt(List::size).sum();
    }

    @Override
    public void close() {
        closed = true;
    }
}
