package io.redcompress.connect.redis;

import java.time.Duration;
import java.util.ArrayList;
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
 */
public final class LettuceWriteSender implements RedisWriteSender {

    private static final Logger log = LoggerFactory.getLogger(LettuceWriteSender.class);
    private static final String OK = "OK";
    /** Redirects followed per write within one pipeline (Lettuce's default too). */
    static final int MAX_REDIRECTS = 5;

    /** A write on its way: its place in the pipeline, the node it goes to, and whether it goes after ASKING. */
    private record Routed(int index, RedisWrite write, String node, boolean asking) {
    }

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
    private final Map<String, LongAdder> acknowledgedPerNode = new ConcurrentHashMap<>();

    LettuceWriteSender(WriteTargets targets, int waitReplicas, long waitTimeoutMillis, Duration redirectWindow) {
        this.targets = targets;
        this.waitReplicas = waitReplicas;
        this.waitTimeoutMillis = waitTimeoutMillis;
        this.redirectWindowNanos = redirectWindow.toNanos();
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
        List<CompletableFuture<WriteResult>> results = new ArrayList<>(writes.size());
        List<Routed> routed = new ArrayList<>(writes.size());
        for (int i = 0; i < writes.size(); i++) {
            RedisWrite write = writes.get(i);
            CompletableFuture<WriteResult> result = new CompletableFuture<>();
            results.add(result);
            String node;
            try {
                node = targets.nodeOf(write.key());
            } catch (RuntimeException e) {
                node = null;
            }
            if (node == null) {
                targets.topologyMayHaveChanged();
                result.complete(WriteResult.failed(write, FailureKind.TRANSIENT,
                        "no Redis Cluster master serves the slot of this key in the client's view of the cluster", null));
            } else {
                routed.add(new Routed(i, write, node, false));
            }
        }
        sendRound(routed, 0, results, System.nanoTime() + redirectWindowNanos);
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            inFlight.decrementAndGet();
            List<WriteResult> settled = new ArrayList<>(writes.size());
            for (int i = 0; i < writes.size(); i++) {
                CompletableFuture<WriteResult> result = results.get(i);
                settled.add(result.isDone() && !result.isCompletedExceptionally() ? result.join()
                        : WriteResult.failed(writes.get(i), FailureKind.TRANSIENT, "no result for this write", failureOf(result)));
            }
            return settled;
        });
    }

    /** Sends each node its group of writes; every result is completed, here or when the replies are in. */
    private void sendRound(List<Routed> writes, int redirects, List<CompletableFuture<WriteResult>> results, long deadlineNanos) {
        Map<String, List<Routed>> byNode = new LinkedHashMap<>();
        for (Routed write : writes) {
            byNode.computeIfAbsent(write.node(), n -> new ArrayList<>()).add(write);
        }
        byNode.forEach((node, group) -> {
            CompletableFuture<NodeLink> link;
            try {
                link = targets.link(node);
            } catch (RuntimeException e) {
                link = CompletableFuture.failedFuture(e);
            }
            link.whenComplete((connected, error) -> {
                try {
                    if (error != null) {
                        targets.topologyMayHaveChanged();
                        Throwable cause = unwrap(error);
                        for (Routed write : group) {
                            results.get(write.index()).complete(WriteResult.failed(write.write(), FailureKind.TRANSIENT,
                                    "cannot connect to " + node + ": " + describe(cause), cause));
                        }
                        return;
                    }
                    sendGroup(connected, group, redirects, results, deadlineNanos);
                } catch (RuntimeException e) {
                    failUnsettled(group, results, node, e);
                }
            });
        });
    }

    private void sendGroup(NodeLink link, List<Routed> group, int redirects, List<CompletableFuture<WriteResult>> results,
                           long deadlineNanos) {
        List<RedisWrite> writes = new ArrayList<>(group.size());
        BitSet asking = new BitSet(group.size());
        for (int k = 0; k < group.size(); k++) {
            writes.add(group.get(k).write());
            asking.set(k, group.get(k).asking());
        }
        NodeLink.Sent sent = link.send(writes, asking, waitReplicas, waitTimeoutMillis);
        sent.allDone().thenRun(() -> {
            try {
                settleGroup(link.node(), group, sent, redirects, results, deadlineNanos);
            } catch (RuntimeException e) {
                failUnsettled(group, results, link.node(), e);
            }
        });
    }

    /**
     * Settles each write of a group from its reply and the WAIT that followed it on the same connection; collects
     * the redirected ones and sends them on at once.
     */
    private void settleGroup(String node, List<Routed> group, NodeLink.Sent sent, int redirects,
                             List<CompletableFuture<WriteResult>> results, long deadlineNanos) {
        String waitFailure = sent.replicaWait() == null ? null : waitFailure(node, sent.replicaWait());
        List<Routed> redirected = new ArrayList<>();
        for (int k = 0; k < group.size(); k++) {
            Routed write = group.get(k);
            CompletableFuture<Object> reply = sent.replies().get(k);
            Throwable error = failureOf(reply);
            if (error == null) {
                WriteResult result = checkReply(write.write(), reply.join());
                if (result.isAcknowledged() && waitFailure != null) {
                    result = WriteResult.failed(write.write(), FailureKind.TRANSIENT, waitFailure, null);
                }
                if (result.isAcknowledged()) {
                    acknowledgedPerNode.computeIfAbsent(node, n -> new LongAdder()).increment();
                }
                results.get(write.index()).complete(result);
                continue;
            }
            Redirect redirect = targets.followsRedirects() ? Redirect.of(error) : null;
            if (redirect != null && !redirect.ask()) {
                targets.topologyMayHaveChanged();
            }
            if (redirect != null && redirects < MAX_REDIRECTS && System.nanoTime() < deadlineNanos) {
                redirected.add(new Routed(write.index(), write.write(), redirect.node(), redirect.ask()));
                continue;
            }
            if (!(error instanceof RedisCommandExecutionException)) {
                targets.topologyMayHaveChanged(); // a lost or timed-out connection: the node may have failed over
            }
            String reason = "on " + node + ": " + describe(error) + (redirect != null ? " (after " + redirects + " redirects)" : "");
            results.get(write.index()).complete(WriteResult.failed(write.write(), ReplyClassifier.classify(error), reason, error));
        }
        if (!redirected.isEmpty()) {
            sendRound(redirected, redirects + 1, results, deadlineNanos);
        }
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

    private static void failUnsettled(List<Routed> group, List<CompletableFuture<WriteResult>> results, String node,
                                      RuntimeException e) {
        for (Routed write : group) {
            results.get(write.index()).complete(WriteResult.failed(write.write(), FailureKind.TRANSIENT,
                    "on " + node + ": " + describe(e), e));
        }
    }

    private static WriteResult checkReply(RedisWrite write, Object reply) {
        if (write instanceof RedisWrite.SetValue && !OK.equals(reply)) {
            return WriteResult.failed(write, FailureKind.TRANSIENT, "SET answered " + reply + " instead of OK", null);
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
