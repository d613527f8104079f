package io.redcompress.connect.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.redcompress.connect.it.ConnectAndRedis;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * End-to-end benchmark, not a test: for each codec in turn, N records of one payload kind are produced to a fresh
 * topic, then a connector streams them into a flushed redis-server, and the time until every key is in Redis and
 * Redis's used_memory growth are measured. All codecs run in one process against the same broker and Redis, so
 * the figures compare side by side; absolute numbers on a shared machine are noisy, the ratios less so.
 *
 * <p>Run: ./mvnw -q -Pbench package -Dbench.args="--records 100000 --payload heartbeat"
 */
public final class EndToEndBench {

    private record Result(String codec, long records, double seconds, long usedMemoryGrowth, long storedBytes, long originalBytes) {
        double recordsPerSecond() {
            return records / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        int records = 50_000;
        String payload = "heartbeat";
        List<String> codecs = List.of("none", "lz4", "snappy", "zstd", "gzip");
        int partitions = 3;
        int tasks = 1;
        int rounds = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--records" -> records = Integer.parseInt(args[i + 1]);
                case "--payload" -> payload = args[i + 1];
                case "--codecs" -> codecs = List.of(args[i + 1].split(","));
                case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
                case "--tasks" -> tasks = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; flags: --records N --payload heartbeat|log|random --codecs a,b --partitions N --tasks N --rounds N");
            }
        }
        List<Result> results = new ArrayList<>();
        try (ConnectAndRedis cluster = ConnectAndRedis.start("bench", worker -> { })) {
            RespClient redis = cluster.redisClient;
            // a discarded warm-up pass, so the first codec measured does not pay for the JIT
            for (String codec : codecs) {
                run(cluster, redis, codec, "warmup", payload, Math.max(1000, records / 5), partitions, tasks);
            }
            // codecs interleaved round by round, so drifting machine load hits them alike; the median round counts
            Map<String, List<Result>> byCodec = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (String codec : codecs) {
                    byCodec.computeIfAbsent(codec, c -> new ArrayList<>())
                            .add(run(cluster, redis, codec, "r" + round, payload, records, partitions, tasks));
                }
            }
            byCodec.values().forEach(list -> {
                list.sort(Comparator.comparingDouble(Result::seconds));
                results.add(list.get(list.size() / 2));
            });
            print(results, payload, records, partitions, tasks, rounds, cluster.redis.versionString());
        }
        System.exit(0);
    }

    private static Result run(ConnectAndRedis cluster, RespClient redis, String codec, String label, String payload,
                              int records, int partitions, int tasks) throws Exception {
        String topic = "bench-" + codec + "-" + label;
        cluster.connect.kafka().createTopic(topic, partitions);
        Random random = new Random(11);
        long originalBytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < records; i++) {
                byte[] value = switch (payload) {
                    case "heartbeat" -> SampleData.heartbeat(String.format("sensor-%07d", i), i, random);
                    case "log" -> SampleData.logLine(i, random);
                    case "random" -> {
                        byte[] bytes = new byte[512];
                        random.nextBytes(bytes);
                        yield bytes;
                    }
                    default -> throw new IllegalArgumentException("payload must be heartbeat, log or random");
                };
                originalBytes += value.length;
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), value));
            }
        }
        redis.flushAll();
        long baseline = redis.usedMemory();
        Map<String, String> config = cluster.sinkConfig(topic);
        config.put("compression.codec", codec);
        config.put("tasks.max", Integer.toString(tasks));
        config.put("consumer.override.max.poll.records", "2000");
        cluster.connect.configureConnector(topic, config);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        // timed from the first key in Redis, so the connector's and task's start-up is not counted
        while (redis.dbsize() == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(codec + ": no key after 10 minutes");
            }
            Thread.sleep(1);
        }
        long began = System.nanoTime();
        while (redis.dbsize() < records) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(codec + ": only " + redis.dbsize() + " of " + records + " keys after 10 minutes");
            }
            Thread.sleep(20);
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        long growth = redis.usedMemory() - baseline;
        long stored = 0;
        for (int i = 0; i < records; i += Math.max(1, records / 2000)) {
            stored += ((Long) redis.command("STRLEN", topic + ":k" + i)) * Math.max(1, records / 2000);
        }
        cluster.connect.deleteConnector(topic);
        System.out.printf(Locale.ROOT, "[bench] %-6s %-6s %,d records in %.2f s%n", codec, label, records, seconds);
        return new Result(codec, records, seconds, growth, stored, originalBytes);
    }

    private static void print(List<Result> results, String payload, int records, int partitions, int tasks, int rounds,
                              String redisVersion) {
        Result none = results.stream().filter(r -> r.codec().equals("none")).findFirst().orElse(results.get(0));
        System.out.printf(Locale.ROOT, "%nEnd to end: %,d %s records, %d partitions, %d task(s), median of %d rounds, "
                        + "redis-server %s, %d cores%n",
                records, payload, partitions, tasks, rounds, redisVersion, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-7s %12s %10s %16s %12s %14s %12s%n", "codec", "records/s", "vs " + none.codec(),
                "used_memory +B", "vs " + none.codec(), "value bytes", "vs original");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-7s %,12.0f %9.2fx %,16d %11.3fx %,14d %11.3fx%n", r.codec(), r.recordsPerSecond(),
                    r.recordsPerSecond() / none.recordsPerSecond(), r.usedMemoryGrowth(),
                    (double) r.usedMemoryGrowth() / none.usedMemoryGrowth(), r.storedBytes(),
                    (double) r.storedBytes() / r.originalBytes());
        }
        System.out.println("(value bytes: sampled STRLEN scaled to all keys; used_memory also counts keys and Redis's per-key overhead)");
    }

    private EndToEndBench() {
    }

}
