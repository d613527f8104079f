package io.redcompress.connect.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.codec.ByteArrayCodec;
import org.apache.kafka.connect.errors.ConnectException;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * Pipelines on connections we drive, one per node, auto-flush off. A pipeline's writes are grouped by the node that
 * serves their key; each group is queued on its node's connection, followed (with redis.wait.replicas) by a WAIT,
 * and flushed at once. Values arrive already encoded, so Lettuce only moves bytes ({@link ByteArrayCodec}); every
 * reply is read and checked, because a completed command is not a successful one.
 *
 * <p>In a cluster, a write answered {@code MOVED} or {@code ASK} is sent again at once to the node named in the
 * reply ({@code ASK}: right after {@code ASKING}), with its own WAIT there, and flushed: up to
 * {@value #MAX_REDIRECTS} redirects per write, while the pipeline is younger than redis.command.timeout.ms; past
 * that, the redirect is a transient failure, retried by the pipeline from that write on. A MOVED or a lost connection
 * also reloads the slot map. A write counts as acknowledged only when the node that executed it said OK and, with
 * redis.wait.replicas, the WAIT that followed it on that node's connection confirmed enough replicas.
 *
 * <p>On a single node (standalone or Sentinel), runs of SETs without expiry go as MSETs, and runs of bucket HSETs without
 * expiry as one HSET script ({@link NodeLink}): per-command objects, not Redis, were the client's ceiling. In a cluster
 * every write goes alone, since an MSET or a script must keep to one slot. A refused batch is retried as single
 * commands (see {@link #batchFailure}).
 */
public final class LettuceWriteSender implements RedisWriteSender {

    private static final Logger log = LoggerFactory.getLogger(LettuceWriteSender.class);
    private static final String OK = "OK";
    /** Redirects followed per write within one pipeline (Lettuce's default too). */
    static final int MAX_REDIRECTS = 5;

    /** Where a {@code MOVED 3999 127.0.0.1:6381} or {@code ASK 3999 127.0.0.1:6381} reply points. */
    private record Redirect(String node, boolean ask) {

        static Redirect of(Throwable reply) {
            if (!(reply instanceof RedisCommandExecutionException) || reply.getMessage() == null) {
                return null;
            }
            String[] parts = reply.getMessage().trim().split(" ");
            boolean moved = parts[0].equals("MOVED");
            if (parts.length != 3 || !moved && !parts[0].equals("ASK") || parts[2].lastIndexOf(':') < 1) {
                return null;
            }
            return new Redirect(parts[2], !moved);
        }
    }

    private final WriteTargets targets;
    private final int waitReplicas;
    private final long waitTimeoutMillis;
    private final long redirectWindowNanos;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** MSETs and HSET scripts for runs of writes, on a single node; off for good once Redis refused one (see batchFailure) */
    private volatile boolean batchWrites;
    private final Map<String, LongAdder> acknowledgedPerNode = new ConcurrentHashMap<>();

    LettuceWriteSender(WriteTargets targets, int waitReplicas, long waitTimeoutMillis, Duration redirectWindow) {
        this.targets = targets;
        this.waitReplicas = waitReplicas;
        this.waitTimeoutMillis = waitTimeoutMillis;
        this.redirectWindowNanos = redirectWindow.toNanos();
        this.batchWrites = !targets.followsRedirects();
    }

    /** Connects to the one server, or to every master of a cluster, before the first pipeline; no checks. */
    public static LettuceWriteSender connect(RedisSinkConfig config) {
        return writingWith(config, RedisClientFactory.connect(config));
    }

    /**
     * Runs the checks validate() runs ({@link RedisConnectivityCheck}) and, when they pass, connects the writes with
     * the same client: a task start builds one client.
     *
     * @throws ConnectException with the first problem and the config key to change
     */
    public static LettuceWriteSender connectChecked(RedisSinkConfig config, byte[] sampleKey, String keyGlob) {
        RedisConnectivityCheck.Checked checked = RedisConnectivityCheck.open(config, sampleKey, keyGlob);
        if (checked.connection().isEmpty()) {
            throw new ConnectException(checked.problems().get(0).withConfigKey());
        }
        return writingWith(config, checked.connection().get());
    }

    /** A sender whose writes go through the client of {@code redis}, which it owns from here on. */
    private static LettuceWriteSender writingWith(RedisSinkConfig config, LettuceConnection redis) {
        return new LettuceWriteSender(RedisClientFactory.connectWriteTargets(config, redis.handOver()), config.waitReplicas(),
                config.waitTimeout().toMillis(), config.commandTimeout());
    }

    @Override
    public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
        try {
            targets.prepare(inFlight.get() == 0);
        } catch (RuntimeException e) {
            log.debug("Preparing node connections failed: {}", e.toString());
        }
        inFlight.incrementAndGet();
        Pipeline pipeline = new Pipeline(writes);
        String onlyNode = targets.followsRedirects() ? null : targets.nodeOf(null);
        if (onlyNode != null) {
            sendRound(Map.of(onlyNode, Group.all(writes)), 0, pipeline, System.nanoTime() + redirectWindowNanos);
        } else {
            Map<String, Group> byNode = new LinkedHashMap<>();
            for (int i = 0; i < writes.size(); i++) {
                RedisWrite write = writes.get(i);
                String node;
                try {
                    node = targets.nodeOf(write.key());
                } catch (RuntimeException e) {
                    node = null;
                }
                if (node == null) {
                    targets.topologyMayHaveChanged();
                    pipeline.complete(i, WriteResult.failed(write, FailureKind.TRANSIENT,
                            "no Redis Cluster master serves the slot of this key in the client's view of the cluster", null));
                } else {
                    byNode.computeIfAbsent(node, n -> new Group()).add(i, write, false);
                }
            }
            sendRound(byNode, 0, pipeline, System.nanoTime() + redirectWindowNanos);
        }
        return pipeline.settled.whenComplete((ignored, error) -> inFlight.decrementAndGet());
    }

    /**
     * The checked results of one pipeline, filled in as replies arrive (on Lettuce's threads): one slot per write, set
     * once; the stage completes when the last is in.
     */
    private static final class Pipeline {
        final List<RedisWrite> writes;
        final AtomicReferenceArray<WriteResult> results;
        final AtomicInteger unsettled;
        final CompletableFuture<List<WriteResult>> settled = new CompletableFuture<>();

        Pipeline(List<RedisWrite> writes) {
            this.writes = writes;
            this.results = new AtomicReferenceArray<>(writes.size());
            this.unsettled = new AtomicInteger(writes.size());
            if (writes.isEmpty()) {
                settled.complete(List.of());
            }
        }

        void complete(int index, WriteResult result) {
            if (results.compareAndSet(index, null, result) && unsettled.decrementAndGet() == 0) {
                WriteResult[] all = new WriteResult[writes.size()];
                for (int i = 0; i < all.length; i++) {
                    all[i] = results.get(i);
                }
                settled.complete(Arrays.asList(all));
            }
        }
    }

    /** The writes of a pipeline that go to one node: their places in the pipeline, and which go after ASKING. */
    private static final class Group {
        final List<RedisWrite> writes;
        /** the place in the pipeline of each write; null when the group is the whole pipeline, in order */
        private int[] indices;
        final BitSet asking = new BitSet();

        Group() {
            this.writes = new ArrayList<>();
            this.indices = new int[16];
        }

        private Group(List<RedisWrite> writes) {
            this.writes = writes;
        }

        static Group all(List<RedisWrite> writes) {
            return new Group(writes);
        }

        void add(int index, RedisWrite write, boolean afterAsking) {
            if (writes.size() == indices.length) {
                indices = Arrays.copyOf(indices, indices.length * 2);
            }
            indices[writes.size()] = index;
            asking.set(writes.size(), afterAsking);
            writes.add(write);
        }

        int index(int k) {
            return indices == null ? k : indices[k];
        }

        int size() {
            return writes.size();
        }
    }

    /** Sends each node its group of writes; every result is completed, here or when the replies are in. */
    private void sendRound(Map<String, Group> byNode, int redirects, Pipeline pipeline, long deadlineNanos) {
        byNode.forEach((node, group) -> {
            CompletableFuture<NodeLink> link;
            try {
                link = targets.link(node);
            } catch (RuntimeException e) {
                link = CompletableFuture.failedFuture(e);
            }
            if (link.isDone() && !link.isCompletedExceptionally()) {
                sendGroup(link.join(), group, redirects, pipeline, deadlineNanos);
                return;
            }
            link.whenComplete((connected, error) -> {
                try {
                    if (error != null) {
                        targets.topologyMayHaveChanged();
                        Throwable cause = unwrap(error);
                        failTransiently(group, pipeline, "cannot connect to " + node + ": " + describe(cause), cause);
                        return;
                    }
                    if (System.nanoTime() >= deadlineNanos) {
                        // the task may have given this pipeline up and sent its writes again: sent now, an older value
                        // could land after a newer one
                        failTransiently(group, pipeline, "the connection to " + node + " took longer than "
                                + RedisSinkConfig.REDIS_COMMAND_TIMEOUT_MS + "; not sent", null);
                        return;
                    }
                    sendGroup(connected, group, redirects, pipeline, deadlineNanos);
                } catch (RuntimeException e) {
                    failUnsettled(group, pipeline, node, e);
                }
            });
        });
    }

    private void sendGroup(NodeLink link, Group group, int redirects, Pipeline pipeline, long deadlineNanos) {
        try {
            NodeLink.Sent sent = link.send(group.writes, group.asking, batchWrites, waitReplicas, waitTimeoutMillis);
            sent.allDone().thenRun(() -> {
                try {
                    settleGroup(link.node(), group, sent, redirects, pipeline, deadlineNanos);
                } catch (RuntimeException e) {
                    failUnsettled(group, pipeline, link.node(), e);
                }
            });
        } catch (RuntimeException e) {
            failUnsettled(group, pipeline, link.node(), e);
        }
    }

    /**
     * Settles each write of a group from its reply and the WAIT that followed it on the same connection; collects
     * the redirected ones and sends them on at once.
     */
    private void settleGroup(String node, Group group, NodeLink.Sent sent, int redirects, Pipeline pipeline,
                             long deadlineNanos) {
        String waitFailure = sent.replicaWait() == null ? null : waitFailure(node, sent.replicaWait());
        Map<String, Group> redirected = null;
        long acknowledged = 0;
        for (int k = 0; k < group.size(); k++) {
            RedisWrite write = group.writes.get(k);
            int index = group.index(k);
            CompletableFuture<Object> reply = sent.replies().get(k);
            Throwable error = failureOf(reply);
            if (error == null) {
                WriteResult result = checkReply(write, reply.join(), sent.batched().get(k));
                if (result.isAcknowledged() && waitFailure != null) {
                    result = WriteResult.failed(write, FailureKind.TRANSIENT, waitFailure, null);
                }
                if (result.isAcknowledged()) {
                    acknowledged++;
                }
                pipeline.complete(index, result);
                continue;
            }
            if (sent.batched().get(k)) {
                pipeline.complete(index, WriteResult.failed(write, batchFailure(node, error, write), "on " + node + ": "
                        + NodeLink.batchCommand(write) + " failed: " + describe(error), error));
                continue;
            }
            Redirect redirect = targets.followsRedirects() ? Redirect.of(error) : null;
            if (redirect != null && !redirect.ask()) {
                targets.topologyMayHaveChanged();
            }
            if (redirect != null && redirects < MAX_REDIRECTS && System.nanoTime() < deadlineNanos) {
                if (redirected == null) {
                    redirected = new LinkedHashMap<>();
                }
                redirected.computeIfAbsent(redirect.node(), n -> new Group()).add(index, write, redirect.ask());
                continue;
            }
            if (!(error instanceof RedisCommandExecutionException) && !(error instanceof NodeLink.UnexpectedReply)) {
                targets.topologyMayHaveChanged(); // a lost or timed-out connection: the node may have failed over
            }
            String reason = "on " + node + ": " + ReplyClassifier.describe(error, write)
                    + (redirect != null ? " (after " + redirects + " redirects)" : "");
            // a write its script did not run is sent again at once: a failure before it in the script is what counts
            FailureKind kind = error instanceof NodeLink.NotRun ? FailureKind.RESEND : ReplyClassifier.classify(error, write);
            pipeline.complete(index, WriteResult.failed(write, kind, reason, error));
        }
        if (acknowledged > 0) {
            acknowledgedPerNode.computeIfAbsent(node, n -> new LongAdder()).add(acknowledged);
        }
        if (redirected != null) {
            sendRound(redirected, redirects + 1, pipeline, deadlineNanos);
        }
    }

    /**
     * How a refused batch (MSET or HSET script) counts for each write it carried. A refusal that is about a record or a
     * setting (a key outside the ACL user's patterns, a user who may run SET but not MSET or EVAL, a bucket holding
     * another type) cannot be pinned on one record: the writes are to be sent again ({@link FailureKind#RESEND}: the
     * partition is rewound to the first of them, without a backoff and without counting as a retry), and from then on
     * this sender writes with one command per record, whose replies name the record or the setting. A transient refusal
     * (OOM, LOADING) stays transient; a script stopped by one stays partly applied, and is sent again whole.
     */
    private FailureKind batchFailure(String node, Throwable error, RedisWrite write) {
        FailureKind kind = ReplyClassifier.classify(error, write);
        if (kind == FailureKind.TRANSIENT) {
            return FailureKind.TRANSIENT;
        }
        if (batchWrites) {
            batchWrites = false;
            log.info("Redis at {} refused a batch of writes ({}); writing with one command per record from now on, so "
                    + "that its replies name the record or setting concerned", node, describe(error));
        }
        return FailureKind.RESEND;
    }

    /** Null when the WAIT confirmed enough replicas, else why not. */
    private String waitFailure(String node, CompletableFuture<Long> wait) {
        Throwable error = failureOf(wait);
        if (error != null) {
            return "WAIT on " + node + " failed: " + describe(error);
        }
        long replicas = wait.join();
        return replicas >= waitReplicas ? null : "WAIT on " + node + ": only " + replicas + " of " + waitReplicas
                + " replicas acknowledged within " + waitTimeoutMillis + " ms (" + RedisSinkConfig.REDIS_WAIT_REPLICAS + ")";
    }

    private static void failUnsettled(Group group, Pipeline pipeline, String node, RuntimeException e) {
        failTransiently(group, pipeline, "on " + node + ": " + describe(e), e);
    }

    /** Every write of the group not settled yet fails transiently, for this reason. */
    private static void failTransiently(Group group, Pipeline pipeline, String reason, Throwable cause) {
        for (int k = 0; k < group.size(); k++) {
            pipeline.complete(group.index(k), WriteResult.failed(group.writes.get(k), FailureKind.TRANSIENT, reason, cause));
        }
    }

    private static WriteResult checkReply(RedisWrite write, Object reply, boolean batched) {
        if (write instanceof RedisWrite.Append) {
            if (!(reply instanceof Long applied && (applied == 0 || applied == 1))) {
                return WriteResult.failed(write, FailureKind.TRANSIENT, "the append script answered " + reply
                        + " for it instead of 1 (applied) or 0 (a duplicate)", null);
            }
            return applied == 0 ? WriteResult.duplicate(write) : WriteResult.acknowledged(write);
        }
        if ((batched || write instanceof RedisWrite.SetValue) && !OK.equals(reply)) {
            return WriteResult.failed(write, FailureKind.TRANSIENT, (batched ? NodeLink.batchCommand(write) : "SET") + " answered " + reply
                    + " instead of OK", null);
        }
        return WriteResult.acknowledged(write);
    }

    /** The cause a completed future failed with, or null when it succeeded (or is not done). */
    private static Throwable failureOf(CompletableFuture<?> future) {
        if (!future.isDone()) {
            return null;
        }
        try {
            future.join();
            return null;
        } catch (CompletionException | CancellationException e) {
            return unwrap(e);
        }
    }

    /** Redis's reply, and for a refusal that concerns a setting, the setting to change. */
    private static String describe(Throwable cause) {
        return ReplyClassifier.describe(cause);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A cluster's redirects are re-sent after whatever was sent meanwhile to the node they point to. */
    @Override
    public boolean keepsOrderAcrossPipelines() {
        return !targets.followsRedirects();
    }

    @Override
    public Map<String, Long> acknowledgedWritesPerNode() {
        Map<String, Long> counts = new TreeMap<>();
        acknowledgedPerNode.forEach((node, count) -> counts.put(node, count.sum()));
        return counts;
    }

    @Override
    public void close() {
        try {
            targets.close();
        } catch (RuntimeException e) {
            log.warn("Closing the Redis connections failed: {}", e.getMessage());
        }
    }
}
