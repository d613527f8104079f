package io.redcompress.connect.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * End-to-end latency of the connector at half its measured maximum rate: records are produced at a steady rate for a
 * few seconds, each carrying its send time (epoch microseconds, header {@value #SENT_HEADER}); a reader with its own
 * Lettuce client polls Redis for every Nth key (names known in advance) until it is there; latency = first seen - sent.
 * Both times are wall-clock (epoch) times, so the figure does not depend on one JVM's nanoTime.
 */
final class LatencyRun {

    static final String SENT_HEADER = "bench-sent-us";
    /** Reader passes at most this often, so it leaves the two cores to the worker. */
    private static final long READER_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int READER_MAX_KEYS_PER_PASS = 1000;

    private final ThroughputBench bench;
    private final ThroughputBench.Options options;
    private final String payload;
    private final Double measuredRate;

    LatencyRun(ThroughputBench bench, String payload, Double measuredRate) {
        this.bench = bench;
        this.options = bench.options();
        this.payload = payload;
        this.measuredRate = measuredRate;
    }

    void run() throws Exception {
        String codec = options.latencyCodec();
        String rateSource;
        double rate;
        if (options.latencyRate() != null) {
            rate = options.latencyRate();
            rateSource = "--latency-rate";
        } else {
            double max = measuredRate != null ? measuredRate : measureMaxRate(codec);
            rate = max / 2;
            rateSource = String.format(Locale.ROOT, "half of %,.0f records/s measured%s", max,
                    measuredRate != null ? " in the rounds above" : " just before");
        }
        int records = (int) Math.max(1, rate * options.latencySeconds());
        ThroughputBench.Workload workload = ThroughputBench.Workload.generate(payload, records, null);
        String name = "tb-latency-" + payload + "-" + codec;
        bench.cluster().connect.kafka().createTopic(name, options.partitions());
        bench.cluster().redisClient.flushAll();
        bench.cluster().connect.configureConnector(name, bench.connectorConfig(name, codec));
        awaitPartitionsAssigned(name);

        int every = options.latencySampleEvery();
        int samples = (records + every - 1) / every;
        AtomicLongArray sentMicros = new AtomicLongArray(samples);
        AtomicInteger published = new AtomicInteger();
        long[] seenMicros = new long[samples];
        Reader reader = new Reader(name, workload, every, samples, published, seenMicros);
        double producedRate;
        try (KafkaProducer<byte[], byte[]> producer = bench.cluster().connect.kafka().createProducer(Map.of(
                "enable.idempotence", false,
                "max.in.flight.requests.per.connection", 1,
                "acks", "all",
                // sent at once: batching would add to the latency measured
                "linger.ms", 0,
                // but what piles up while a request is out goes in the next one whole: with the default 16 KB per
                // partition and request, one partition could not take more than ~70 heartbeats per round trip, and at
                // 70,000 records/s the producer's own backlog made seconds of "latency" before the broker saw a record
                "batch.size", 1 << 20))) {
            reader.start();
            reader.awaitConnected();
            prime(name, producer, workload.values()[0]);
            long began = System.nanoTime();
            double nanosPerRecord = 1e9 / rate;
            for (int i = 0; i < records; i++) {
                long due = began + (long) (i * nanosPerRecord);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                long sent = epochMicros();
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(name, null, sent / 1000, workload.keys()[i],
                        workload.values()[i]);
                record.headers().add(SENT_HEADER, Long.toString(sent).getBytes(StandardCharsets.UTF_8));
                producer.send(record);
                if (i % every == 0) {
                    sentMicros.set(i / every, sent);
                    published.set(i / every + 1);
                }
            }
            producedRate = records * 1e9 / (System.nanoTime() - began);
        }
        reader.join(TimeUnit.SECONDS.toMillis(options.timeoutSeconds()));
        reader.finish();
        bench.requireNoFailedTask(name);
        bench.deleteConnector(name);
        bench.cluster().connect.kafka().deleteTopic(name);
        if (reader.failure.get() != null) {
            throw new IllegalStateException("the latency reader failed", reader.failure.get());
        }

        List<Long> latencies = new ArrayList<>();
        Map<Long, List<Long>> bySecond = new TreeMap<>();
        for (int s = 0; s < samples; s++) {
            if (seenMicros[s] != 0) {
                long latency = seenMicros[s] - sentMicros.get(s);
                latencies.add(latency);
                bySecond.computeIfAbsent((sentMicros.get(s) - sentMicros.get(0)) / 1_000_000, k -> new ArrayList<>()).add(latency);
            }
        }
        if (options.verbose()) {
            bySecond.forEach((second, list) -> {
                Collections.sort(list);
                System.out.printf(Locale.ROOT, "[bench] latency, records sent in second %d: p50 %.1f ms, max %.1f ms%n", second,
                        BenchStats.percentile(list, 50) / 1000.0, list.get(list.size() - 1) / 1000.0);
            });
        }
        Collections.sort(latencies);
        System.out.printf(Locale.ROOT, "%nLatency, %s, codec %s, %d partition(s), %d task(s): %,d records produced at %,.0f "
                        + "records/s (asked %,.0f: %s) for %d s; every %dth key polled in Redis by a reader (passes every "
                        + "~%d ms)%n", payload, codec, options.partitions(), options.tasks(), records, producedRate, rate,
                rateSource, options.latencySeconds(), every, TimeUnit.NANOSECONDS.toMillis(READER_PAUSE_NANOS));
        // the first seconds of a fresh connector carry its JIT and connection warm-up: shown apart, and without them
        List<Long> steady = new ArrayList<>();
        bySecond.forEach((second, list) -> {
            if (second >= WARM_UP_SECONDS) {
                steady.addAll(list);
            }
        });
        Collections.sort(steady);
        System.out.println("| codec | records sent | rate (records/s) | samples | p50 (ms) | p99 (ms) | max (ms) | never seen |");
        System.out.println("|---|---|--:|--:|--:|--:|--:|--:|");
        printLatencies(codec, "all " + options.latencySeconds() + " s", producedRate, latencies, samples - latencies.size());
        printLatencies(codec, "from second " + WARM_UP_SECONDS + " on", producedRate, steady, samples - latencies.size());
    }

    static final int WARM_UP_SECONDS = 2;

    private static void printLatencies(String codec, String which, double rate, List<Long> sorted, int neverSeen) {
        System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %,d | %.1f | %.1f | %.1f | %d |%n", codec, which, rate, sorted.size(),
                sorted.isEmpty() ? 0 : BenchStats.percentile(sorted, 50) / 1000.0,
                sorted.isEmpty() ? 0 : BenchStats.percentile(sorted, 99) / 1000.0,
                sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1000.0, neverSeen);
    }

    /**
     * One record to each partition, then a wait until all are in Redis: the producer knows every partition's leader,
     * each consumer has its fetch position and the tasks their Redis connections before the clock starts (without it
     * the first records waited up to 1.5 s, and the backlog raised the next second's latencies too).
     */
    private void prime(String topic, KafkaProducer<byte[], byte[]> producer, byte[] value) throws Exception {
        for (int p = 0; p < options.partitions(); p++) {
            producer.send(new ProducerRecord<>(topic, p, ("prime-" + p).getBytes(StandardCharsets.UTF_8), value));
        }
        producer.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int p = 0; p < options.partitions(); p++) {
            while (!bench.cluster().redisClient.exists(topic + ":prime-" + p)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(topic + ": the priming record of partition " + p + " is not in Redis after 60 s");
                }
                bench.requireNoFailedTask(topic);
                Thread.sleep(10);
            }
        }
    }

    private double measureMaxRate(String codec) throws Exception {
        int records = options.records(payload);
        ThroughputBench.Workload workload = ThroughputBench.Workload.generate(payload, records, null);
        return bench.run(codec, "maxrate", workload, records).recordsPerSecond();
    }

    /** Waits until the sink's consumer group is stable with every partition assigned, so no record waits for a rebalance. */
    private void awaitPartitionsAssigned(String name) throws Exception {
        String group = "connect-" + name;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            bench.requireNoFailedTask(name);
            ConsumerGroupDescription description = null;
            try {
                description = bench.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group)
                        .get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
                // the task's consumer has not joined yet
            }
            int assigned = description == null ? 0
                    : description.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum();
            if (description != null && description.groupState() == GroupState.STABLE && assigned == options.partitions()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(group + " has " + assigned + " of " + options.partitions()
                        + " partitions assigned after 60 s");
            }
            Thread.sleep(100);
        }
    }

    static long epochMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** Polls EXISTS for the sampled keys sent so far and not seen yet, pipelined, a pass about every millisecond. */
    private final class Reader extends Thread {
        private final byte[][] keys;
        private final int samples;
        private final AtomicInteger published;
        private final long[] seenMicros;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private final CountDownLatch connected = new CountDownLatch(1);
        private volatile boolean stopped;

        Reader(String topic, ThroughputBench.Workload workload, int every, int samples, AtomicInteger published, long[] seenMicros) {
            super("bench-latency-reader");
            setDaemon(true);
            this.samples = samples;
            this.published = published;
            this.seenMicros = seenMicros;
            this.keys = new byte[samples][];
            for (int s = 0; s < samples; s++) {
                keys[s] = (topic + ":" + new String(workload.keys()[s * every], StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void run() {
            ClientResources resources = DefaultClientResources.create();
            RedisClient client = RedisClient.create(resources, bench.cluster().redis.uri());
            try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
                connection.setAutoFlushCommands(false);
                RedisAsyncCommands<byte[], byte[]> redis = connection.async();
                connected.countDown();
                BitSet seen = new BitSet(samples);
                int lowest = 0;
                while (lowest < samples && !stopped) {
                    List<Integer> pending = new ArrayList<>();
                    int sent = published.get();
                    for (int s = seen.nextClearBit(lowest); s < sent && pending.size() < READER_MAX_KEYS_PER_PASS;
                         s = seen.nextClearBit(s + 1)) {
                        pending.add(s);
                    }
                    if (!pending.isEmpty()) {
                        List<RedisFuture<Long>> replies = new ArrayList<>(pending.size());
                        for (int s : pending) {
                            replies.add(redis.exists(keys[s]));
                        }
                        connection.flushCommands();
                        List<Long> exists = new ArrayList<>(replies.size());
                        for (RedisFuture<Long> reply : replies) {
                            exists.add(reply.get(30, TimeUnit.SECONDS));
                        }
                        long now = epochMicros();
                        for (int k = 0; k < pending.size(); k++) {
                            if (exists.get(k) == 1L) {
                                seenMicros[pending.get(k)] = now;
                                seen.set(pending.get(k));
                            }
                        }
                        lowest = seen.nextClearBit(lowest);
                    }
                    LockSupport.parkNanos(READER_PAUSE_NANOS);
                }
            } catch (Exception e) {
                failure.set(e);
            } finally {
                connected.countDown();
                client.shutdown();
                resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
            }
        }

        /** Waits until the reader's client is connected: its start is no part of any latency. */
        void awaitConnected() throws InterruptedException {
            if (!connected.await(60, TimeUnit.SECONDS) || failure.get() != null) {
                throw new IllegalStateException("the latency reader did not connect to Redis", failure.get());
            }
        }

        /** Ends a reader that has not seen every key by now (those count as never seen), and waits for it. */
        void finish() throws InterruptedException {
            stopped = true;
            join();
        }
    }
}
