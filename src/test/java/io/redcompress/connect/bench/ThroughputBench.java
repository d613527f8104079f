package io.redcompress.connect.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.isolation.PluginClassLoader;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.rest.errors.ConnectRestException;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.redcompress.connect.it.ConnectAndRedis;
import io.redcompress.connect.testing.PluginJars;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * Throughput and CPU per record of the connector in a Connect worker that loads it from the packaged plugin directory
 * (plugin.path), as an operator's worker does, next to two baselines measured in the same run: a sink whose put()
 * does nothing ({@link NoopSinkConnector}: what the worker itself costs) and the same keys and values written with
 * plain Lettuce, pipelined SETs in batches, without Kafka (what Redis and a client cost). Not a test.
 *
 * <p>Each Kafka variant gets a fresh topic, filled before the clock starts; the time runs from the connector's creation
 * (the REST PUT) until the committed offsets of its consumer group reach the topic's end offsets on every partition.
 * CPU is the time of the threads that work for the sink (the task threads, the Lettuce threads, the consumer's
 * heartbeat thread), read with ThreadMXBean, because the broker and the worker share this JVM; redis-server's CPU is
 * read from /proc. A discarded warm-up pass runs first, then the variants interleave round by round.
 *
 * <p>Run: ./mvnw -q -Pbench package -Dbench.main=io.redcompress.connect.bench.ThroughputBench -Dbench.args="--records 50000"
 * <br>The bench profile keeps target/classes off the classpath for this main (pom.xml, profile bench-plugin-path); the
 * bench checks both that the connector is not on its classpath and that the worker loaded it with a PluginClassLoader.
 * Flags: see {@link Options#USAGE} and bench/README.md.
 */
public final class ThroughputBench {

    private static final String TASK_THREAD_PREFIX = "task-thread-";
    private static final String LETTUCE_THREAD_PREFIX = "lettuce-";
    /** How often the committed offsets are read while a connector runs. */
    private static final long COMMIT_POLL_MILLIS = 50;
    private static final String DICTIONARY_PREFIX = "redcompress:dict";
    private static final long CPU_SAMPLE_MILLIS = 100;

    /** The command-line flags. */
    record Options(List<String> payloads, Integer records, Integer warmupRecords, List<String> variants, int partitions,
                   int tasks, int rounds, Integer maxPollRecords, int offsetFlushMillis, int lettuceBatch, boolean latency,
                   String latencyCodec, int latencySeconds, int latencySampleEvery, Double latencyRate, Path pluginPath,
                   int timeoutSeconds, boolean verbose, int redisPauseMillis, Map<String, String> connectorSettings,
                   Map<String, String> redisConfig, Integer keys) {

        static final String USAGE = "flags: --records N (default 500000 heartbeats, 100000 logs) --warmup-records N "
                + "(default records/5) --payload heartbeat|log|heartbeat,log --variants noop,lettuce,none,lz4,zstd "
                + "(a codec name: the connector with compression.codec=<name>; codec+dictionary, e.g. zstd+auto, also sets "
                + "compression.dictionary; a suffix @buckets, e.g. zstd+auto@buckets, runs it with redis.layout=buckets, "
                + "redis.bucket.expected.keys = the run's distinct keys; a suffix @rpush, @lpush, @xadd, @sadd or @zadd runs "
                + "it with that redis.command, exactly once, and with -alo, e.g. none@rpush-alo, at least once) "
                + "--partitions N (1) --tasks N (1) "
                + "--rounds N (3) --max-poll-records N (the worker's default) --offset-flush-ms N (250) "
                + "--redis-pause-ms N (0: stall Redis's writes that long, CLIENT PAUSE, once the first key is in) "
                + "--set key=value (a connector setting, repeatable) "
                + "--redis-config name=value (a setting of the bench's redis-server, e.g. hash-max-listpack-value=128; "
                + "repeatable) "
                + "--keys N (the records' keys cycle over N distinct keys; default: every record its own key) "
                + "--lettuce-batch N (500) --latency --latency-codec C (lz4) --latency-seconds N (15) "
                + "--latency-sample N (every 20th record) --latency-rate R (default: half the codec's measured rate) "
                + "--plugin-path DIR (target/plugin) --timeout-seconds N (600 per run) --verbose";

        static Options parse(String[] args) {
            List<String> payloads = List.of("heartbeat");
            Integer records = null;
            Integer warmup = null;
            List<String> variants = List.of("noop", "lettuce", "none", "lz4", "zstd");
            int partitions = 1;
            int tasks = 1;
            int rounds = 3;
            Integer maxPoll = null;
            int flushMillis = 250;
            int batch = 500;
            boolean latency = false;
            String latencyCodec = "lz4";
            int latencySeconds = 15;
            int sampleEvery = 20;
            Double latencyRate = null;
            Path pluginPath = Path.of(System.getProperty("plugin.dir", "target/plugin"));
            int timeout = 600;
            int redisPauseMillis = 0;
            Map<String, String> connectorSettings = new java.util.LinkedHashMap<>();
            Map<String, String> redisConfig = new java.util.LinkedHashMap<>();
            boolean verbose = false;
            Integer keys = null;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--latency") || flag.equals("--verbose")) {
                    latency |= flag.equals("--latency");
                    verbose |= flag.equals("--verbose");
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value; " + USAGE);
                }
                String value = args[++i];
                switch (flag) {
                    case "--payload" -> payloads = List.of(value.split(","));
                    case "--records" -> records = Integer.parseInt(value);
                    case "--keys" -> keys = Integer.parseInt(value);
                    case "--warmup-records" -> warmup = Integer.parseInt(value);
                    case "--variants" -> variants = List.of(value.split(","));
                    case "--partitions" -> partitions = Integer.parseInt(value);
                    case "--tasks" -> tasks = Integer.parseInt(value);
                    case "--rounds" -> rounds = Integer.parseInt(value);
                    case "--max-poll-records" -> maxPoll = Integer.parseInt(value);
                    case "--offset-flush-ms" -> flushMillis = Integer.parseInt(value);
                    case "--lettuce-batch" -> batch = Integer.parseInt(value);
                    case "--latency-codec" -> latencyCodec = value;
                    case "--latency-seconds" -> latencySeconds = Integer.parseInt(value);
                    case "--latency-sample" -> sampleEvery = Integer.parseInt(value);
                    case "--latency-rate" -> latencyRate = Double.parseDouble(value);
                    case "--plugin-path" -> pluginPath = Path.of(value);
                    case "--timeout-seconds" -> timeout = Integer.parseInt(value);
                    case "--redis-pause-ms" -> redisPauseMillis = Integer.parseInt(value);
                    case "--set" -> connectorSettings.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
                    case "--redis-config" -> redisConfig.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
                    default -> throw new IllegalArgumentException("unknown flag " + flag + "; " + USAGE);
                }
            }
            for (String payload : payloads) {
                if (!payload.equals("heartbeat") && !payload.equals("log")) {
                    throw new IllegalArgumentException("--payload is heartbeat, log or both, not " + payload);
                }
            }
            variants.forEach(Variant::parse);
            if (!Variant.parse(latencyCodec).plainKeys()) {
                throw new IllegalArgumentException("--latency-codec " + latencyCodec + ": the latency run reads plain keys; "
                        + "give a codec without @");
            }
            return new Options(payloads, records, warmup, variants, partitions, tasks, rounds, maxPoll, flushMillis, batch,
                    latency, latencyCodec, latencySeconds, sampleEvery, latencyRate, pluginPath, timeout, verbose,
                    redisPauseMillis, connectorSettings, redisConfig, keys);
        }

        int records(String payload) {
            return records != null ? records : payload.equals("log") ? 100_000 : 500_000;
        }

        int warmupRecords(String payload) {
            return warmupRecords != null ? warmupRecords : Math.max(1000, records(payload) / 5);
        }
    }

    /**
     * A variant as named on the command line: {@code noop}, {@code lettuce}, or the connector as
     * {@code codec[+dictionary][@keys|@buckets|@<command>[-alo]]} ({@code zstd+auto@buckets}: compression.codec=zstd,
     * compression.dictionary=auto, redis.layout=buckets; {@code none@rpush}: redis.command=rpush, exactly once;
     * {@code none@rpush-alo}: the same at least once).
     */
    record Variant(String codec, String dictionary, boolean buckets, String command, boolean atLeastOnce) {

        static final List<String> COMMANDS = List.of("rpush", "lpush", "xadd", "sadd", "zadd");

        static Variant parse(String variant) {
            String[] codecAndLayout = variant.split("@", 2);
            String layout = codecAndLayout.length > 1 ? codecAndLayout[1] : "keys";
            boolean atLeastOnce = layout.endsWith("-alo");
            String command = atLeastOnce ? layout.substring(0, layout.length() - 4) : layout;
            if (!layout.equals("keys") && !layout.equals("buckets") && !COMMANDS.contains(command)) {
                throw new IllegalArgumentException("variant " + variant + ": after @ comes keys, buckets or a command of "
                        + COMMANDS + " (with -alo: at least once), not " + layout);
            }
            String[] codecAndDictionary = codecAndLayout[0].split("\\+", 2);
            boolean baseline = codecAndLayout[0].equals("noop") || codecAndLayout[0].equals("lettuce");
            if (baseline && codecAndLayout.length > 1) {
                throw new IllegalArgumentException("variant " + variant + ": " + codecAndLayout[0] + " has no layout");
            }
            return new Variant(codecAndDictionary[0], codecAndDictionary.length > 1 ? codecAndDictionary[1] : null,
                    layout.equals("buckets"), COMMANDS.contains(command) ? command : null, atLeastOnce);
        }

        /** Plain SET keys, one per record: what the latency run and the key count check read. */
        boolean plainKeys() {
            return !buckets && command == null;
        }

        /** The same codec in the keys layout: what a bucket variant's figures are compared with. */
        static String keysVariantOf(String variant) {
            int at = variant.indexOf('@');
            return at < 0 ? variant : variant.substring(0, at);
        }
    }

    /**
     * The records of one payload kind, generated once: the same key and value bytes go to every variant. The keys cycle
     * over {@code distinctKeys} (lists, streams and sets then grow as they do in use), or each record has its own.
     */
    record Workload(String payload, byte[][] keys, byte[][] values, int distinctKeys) {

        static Workload generate(String payload, int records, Integer distinctKeys) {
            Random random = new Random(11);
            byte[][] keys = new byte[records][];
            byte[][] values = new byte[records][];
            int cycle = distinctKeys == null ? records : distinctKeys;
            for (int i = 0; i < records; i++) {
                keys[i] = String.format("%s-%07d", payload, i % cycle).getBytes(StandardCharsets.UTF_8);
                values[i] = SampleData.ofKind(payload, i, random);
            }
            return new Workload(payload, keys, values, cycle);
        }

        /** The distinct keys of the first {@code records} records. */
        int distinctKeys(int records) {
            return Math.min(distinctKeys, records);
        }

        double averageValueBytes() {
            long total = 0;
            for (byte[] value : values) {
                total += value.length;
            }
            return (double) total / values.length;
        }
    }

    /** One variant's measurement in one round. */
    record Run(String variant, int records, long nanos, CpuMeter.Report cpu, long redisCpuNanos, Memory memory) {

        double recordsPerSecond() {
            return records * 1e9 / nanos;
        }

        double micros(long cpuNanos) {
            return cpuNanos / 1e3 / records;
        }

        double workerCpuMicros() {
            return micros(cpu.countedNanos());
        }

        double groupMicros(String group) {
            return micros(cpu.nanosByGroup().getOrDefault(group, 0L));
        }
    }

    /**
     * What a run left in Redis: used_memory over that of the emptied server, per value key; the value bytes stored and
     * their originals (the task metrics bytes-encoded-total, bytes-original-total); dictionaries stored, and the values
     * written without one (values-written-total - values-with-dictionary-total: with compression.dictionary=auto, those
     * written before the dictionary was stored).
     */
    record Memory(double usedMemoryPerKey, double storedBytesPerValue, double originalBytesPerValue, long dictionaryBytes,
                  long valuesWithoutDictionary, double putMaxMillis, Buckets buckets) {
        static final Memory NONE = new Memory(Double.NaN, Double.NaN, Double.NaN, 0, 0, Double.NaN, null);
    }

    /**
     * What a run in the bucketed layout left in Redis, read after the clock stopped from every bucket the layout marker
     * names (HLEN and OBJECT ENCODING each): buckets holding entries, how many of them are listpacks, and why the
     * others are hashtables: more entries than hash-max-listpack-entries, or a value longer than
     * hash-max-listpack-value (HVALS of the bucket) that is not compressed with a dictionary (codec id other than 5:
     * with compression.dictionary=auto, a value written before the dictionary was stored), or only long values that
     * are; the rest (none found: a long field) are left out.
     */
    record Buckets(int count, int used, int listpacks, long entries, long maxEntries, int hashtablesOverEntryLimit,
                   int hashtablesByValueWithoutDictionary, int hashtablesByDictionaryValue) {

        double listpackShare() {
            return (double) listpacks / used;
        }

        double entriesPerBucket() {
            return (double) entries / used;
        }
    }

    /** Connect's own sink-task metric {@code put-batch-max-time-ms}, the longest put() of the connector's tasks. */
    private static double putMaxMillis(String connector) throws Exception {
        javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        double max = Double.NaN;
        for (javax.management.ObjectName name : server.queryNames(
                new javax.management.ObjectName("kafka.connect:type=sink-task-metrics,connector=" + connector + ",*"), null)) {
            double value = ((Number) server.getAttribute(name, "put-batch-max-time-ms")).doubleValue();
            max = Double.isNaN(max) ? value : Math.max(max, value);
        }
        return max;
    }

    private final ConnectAndRedis cluster;
    private final Admin admin;
    private final Options options;
    private final long clockTicksPerSecond;
    private boolean pluginLoaderChecked;

    private ThroughputBench(ConnectAndRedis cluster, Admin admin, Options options) {
        this.cluster = cluster;
        this.admin = admin;
        this.options = options;
        this.clockTicksPerSecond = clockTicksPerSecond();
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        System.out.println("command: ./mvnw -q -Pbench package -Dbench.main=" + ThroughputBench.class.getName()
                + " -Dbench.args=\"" + String.join(" ", args) + "\"");
        System.out.println("jvm: " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()) + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");
        requireConnectorOffTheClasspath();
        if (!Files.isDirectory(PluginJars.libDirectory(options.pluginPath()))) {
            throw new IllegalStateException("no plugin in " + options.pluginPath().toAbsolutePath() + "; run with -Pbench package");
        }
        try (ConnectAndRedis cluster = ConnectAndRedis.start("throughput-bench", worker -> {
            worker.put("plugin.path", options.pluginPath().toAbsolutePath().toString());
            // commits every 250 ms rather than every 60 s: the clock stops at the commit, so its interval is the
            // resolution of every figure
            worker.put("offset.flush.interval.ms", Integer.toString(options.offsetFlushMillis()));
        }, redis -> options.redisConfig().forEach(redis::config)); Admin admin = cluster.connect.kafka().createAdminClient()) {
            ThroughputBench bench = new ThroughputBench(cluster, admin, options);
            Map<String, Double> latencyCodecRates = new LinkedHashMap<>();
            for (String payload : options.payloads()) {
                latencyCodecRates.put(payload, bench.throughput(payload));
            }
            if (options.latency()) {
                String payload = options.payloads().get(0);
                new LatencyRun(bench, payload, latencyCodecRates.get(payload)).run();
            }
        }
        System.exit(0);
    }

    private static void requireConnectorOffTheClasspath() {
        try {
            Class.forName(ConnectAndRedis.CONNECTOR_CLASS);
        } catch (ClassNotFoundException expected) {
            return;
        }
        throw new IllegalStateException(ConnectAndRedis.CONNECTOR_CLASS + " is on the bench's classpath, so the worker "
                + "could load it from there: run with -Pbench -Dbench.main=" + ThroughputBench.class.getName()
                + " (the bench-plugin-path profile keeps target/classes off the classpath)");
    }

    /**
     * Warm-up, rounds and the table for one payload kind; returns the median records/s of the latency run's codec, or
     * null when it was not among the variants.
     */
    private Double throughput(String payload) throws Exception {
        int records = options.records(payload);
        Workload workload = Workload.generate(payload, records, options.keys());
        System.out.printf(Locale.ROOT, "%n[bench] %s: %,d records of %.0f B on average; warm-up with %,d each%n", payload,
                records, workload.averageValueBytes(), options.warmupRecords(payload));
        for (String variant : options.variants()) {
            run(variant, "warmup", workload, options.warmupRecords(payload));
        }
        Map<String, List<Run>> byVariant = new LinkedHashMap<>();
        for (int round = 1; round <= options.rounds(); round++) {
            for (String variant : options.variants()) {
                byVariant.computeIfAbsent(variant, v -> new ArrayList<>()).add(run(variant, "r" + round, workload, records));
            }
        }
        print(workload, byVariant);
        List<Run> latencyCodec = byVariant.get(options.latencyCodec());
        return latencyCodec == null ? null : BenchStats.Spread.of(latencyCodec.stream().map(Run::recordsPerSecond).toList()).median();
    }

    Run run(String variant, String label, Workload workload, int records) throws Exception {
        Run run = variant.equals("lettuce") ? runLettuce(label, workload, records) : runConnector(variant, label, workload, records);
        System.out.printf(Locale.ROOT, "[bench] %-17s %-7s %,9d records in %6.2f s: %,9.0f records/s, worker CPU %6.2f us/record in %s "
                        + "(threads counted %d, ended before the end %d), heap max %,d MB, in flight at most %,d records / %,d KB%n",
                variant, label, records,
                run.nanos() / 1e9, run.recordsPerSecond(), run.workerCpuMicros(), run.cpu().nanosByGroup().keySet(),
                run.cpu().threadsCounted(), run.cpu().threadsEnded(), run.cpu().heapMaxBytes() >> 20,
                run.cpu().inFlightRecordsMax(), run.cpu().inFlightBytesMax() >> 10);
        if (options.verbose()) {
            printByName(run, run.cpu().countedNanosByName(), "counted");
            printByName(run, run.cpu().otherNanosByName(), "not counted");
        }
        return run;
    }

    private static void printByName(Run run, Map<String, Long> nanosByName, String what) {
        nanosByName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf(Locale.ROOT, "          (%s) %-70s %8.2f us/record%n", what, e.getKey(),
                        run.micros(e.getValue())));
    }

    /** The connector (a codec name) or the do-nothing sink ("noop") over a fresh topic, timed to the last commit. */
    private Run runConnector(String variant, String label, Workload workload, int records) throws Exception {
        String name = runName(workload.payload(), variant, label);
        Map<TopicPartition, Long> endOffsets = produce(name, workload, records);
        cluster.redisClient.flushAll();
        long usedMemoryEmpty = cluster.redisClient.usedMemory();
        Map<String, String> config = connectorConfig(name, variant, workload.distinctKeys(records));
        CpuMeter meter = CpuMeter.start(sinkThreads(name), CPU_SAMPLE_MILLIS);
        long redisCpuBefore = redisCpuNanos();
        long began = System.nanoTime();
        cluster.connect.configureConnector(name, config);
        Thread pauser = options.redisPauseMillis() > 0 && !variant.equals("noop") ? pauseRedisOnceWriting() : null;
        long committed = awaitCommitted(name, endOffsets, began);
        if (pauser != null) {
            pauser.join();
        }
        // before the connector is deleted: its task threads and Lettuce threads are still there to be read
        CpuMeter.Report cpu = meter.stop();
        long redisCpu = redisCpuNanos() - redisCpuBefore;
        if (!variant.equals("noop") && !pluginLoaderChecked) {
            checkLoadedByPluginClassLoader(name);
            pluginLoaderChecked = true;
        }
        // dictionaries and their pointers (compression.dictionary=auto) live beside the values
        long dictionaryKeys = cluster.redisClient.keys(DICTIONARY_PREFIX + ":*").size();
        // so do the high-water marks of exactly once: one small hash per slot written to
        List<String> marks = cluster.redisClient.keys(MARK_PREFIX + "*");
        long markKeys = marks.size();
        if (markKeys > 0) {
            long markBytes = 0;
            for (String mark : marks) {
                markBytes += (Long) cluster.redisClient.command("MEMORY", "USAGE", mark);
            }
            System.out.printf(Locale.ROOT, "[bench] %-17s %-7s high-water marks: %,d keys, %,d B (MEMORY USAGE), %.2f B per record%n",
                    variant, label, markKeys, markBytes, (double) markBytes / records);
        }
        long keys = cluster.redisClient.dbsize() - dictionaryKeys - markKeys;
        boolean buckets = !variant.equals("noop") && Variant.parse(variant).buckets();
        long expectedKeys = variant.equals("noop") ? 0 : workload.distinctKeys(records);
        if (!buckets && keys != expectedKeys) {
            throw new IllegalStateException(name + ": Redis holds " + keys + " keys, expected " + expectedKeys);
        }
        Memory memory = Memory.NONE;
        if (!variant.equals("noop")) {
            long usedMemory = cluster.redisClient.usedMemory() - usedMemoryEmpty;
            // after used_memory: the reads of every bucket must not count in it
            Buckets layout = buckets ? inspectBuckets(name, workload.distinctKeys(records), keys) : null;
            double written = ConnectAndRedis.taskMetric(name, "values-written-total");
            memory = new Memory((double) usedMemory / records,
                    ConnectAndRedis.taskMetric(name, "bytes-encoded-total") / written,
                    ConnectAndRedis.taskMetric(name, "bytes-original-total") / written,
                    (long) ConnectAndRedis.taskMetric(name, "dictionary-bytes-stored-total"),
                    (long) (written - ConnectAndRedis.taskMetric(name, "values-with-dictionary-total")), putMaxMillis(name), layout);
        }
        deleteConnector(name);
        cluster.connect.kafka().deleteTopic(name);
        return new Run(variant, records, committed - began, cpu, redisCpuBefore < 0 ? -1 : redisCpu, memory);
    }

    /**
     * The topic and connector name of a run. The topic is part of every key (key.template=${topic}:${key}), and with
     * buckets every byte of the key is in the entry, so the name has the same length for every variant (its index in
     * --variants, not its name): a longer variant name would otherwise cost its variant a few bytes per key.
     */
    private String runName(String payload, String variant, String label) {
        int index = options.variants().indexOf(variant);
        return "tb-" + payload + "-" + label + "-v" + (index < 0 ? "x" : Integer.toString(index));
    }

    static final String MARK_PREFIX = "tb-marks:";

    private static String bucketPrefix(String name) {
        return name + ":b:";
    }

    /**
     * Reads every bucket the layout marker names (HLEN, OBJECT ENCODING); checks that they hold exactly the run's
     * {@code records} entries and that Redis holds nothing else but the marker ({@code keys}: the keys in Redis but
     * the dictionaries).
     */
    private Buckets inspectBuckets(String name, int records, long keys) {
        String prefix = bucketPrefix(name);
        String marker = cluster.redisClient.getString(prefix + "layout");
        java.util.regex.Matcher count = marker == null ? null : java.util.regex.Pattern.compile("\\bcount=(\\d+)").matcher(marker);
        if (count == null || !count.find()) {
            throw new IllegalStateException(name + ": no layout marker with a count at " + prefix + "layout: " + marker);
        }
        int buckets = Integer.parseInt(count.group(1));
        long entryLimit = Long.parseLong(cluster.redisClient.configGet("hash-max-listpack-entries"));
        int used = 0;
        int listpacks = 0;
        int overEntryLimit = 0;
        int byValueWithoutDictionary = 0;
        int byDictionaryValue = 0;
        int valueLimit = Integer.parseInt(cluster.redisClient.configGet("hash-max-listpack-value"));
        long entries = 0;
        long maxEntries = 0;
        for (int i = 0; i < buckets; i++) {
            String bucket = prefix + i;
            long length = (Long) cluster.redisClient.command("HLEN", bucket);
            if (length == 0) {
                continue;
            }
            used++;
            entries += length;
            maxEntries = Math.max(maxEntries, length);
            String encoding = new String((byte[]) cluster.redisClient.command("OBJECT", "ENCODING", bucket), StandardCharsets.UTF_8);
            if (encoding.equals("listpack") || encoding.equals("ziplist")) {
                listpacks++;
            } else if (length > entryLimit) {
                overEntryLimit++;
            } else {
                boolean withoutDictionary = false;
                boolean withDictionary = false;
                for (Object value : (List<?>) cluster.redisClient.command("HVALS", bucket)) {
                    byte[] bytes = (byte[]) value;
                    if (bytes.length > valueLimit) {
                        boolean dictionary = bytes.length > 1 && (bytes[1] & 0xF0) >> 4 == 5;
                        withDictionary |= dictionary;
                        withoutDictionary |= !dictionary;
                    }
                }
                byValueWithoutDictionary += withoutDictionary ? 1 : 0;
                byDictionaryValue += withDictionary && !withoutDictionary ? 1 : 0;
            }
        }
        if (entries != records || keys != used + 1) {
            throw new IllegalStateException(name + ": " + buckets + " buckets hold " + entries + " entries in " + used
                    + " hashes, expected " + records + "; Redis holds " + keys + " keys besides dictionaries, expected the "
                    + used + " buckets and the marker");
        }
        return new Buckets(buckets, used, listpacks, entries, maxEntries, overEntryLimit, byValueWithoutDictionary,
                byDictionaryValue);
    }

    /** Stalls Redis's writes for --redis-pause-ms once the first key is in, so the bound on writes in flight is met. */
    private Thread pauseRedisOnceWriting() {
        Thread pauser = new Thread(() -> {
            try (RespClient client = cluster.redis.client()) {
                while (client.dbsize() == 0) {
                    Thread.sleep(1);
                }
                client.command("CLIENT", "PAUSE", Integer.toString(options.redisPauseMillis()), "WRITE");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-redis-pause");
        pauser.start();
        return pauser;
    }

    Map<String, String> connectorConfig(String name, String variant) {
        return connectorConfig(name, variant, 0);
    }

    /** {@code distinctKeys}: what a bucket variant sizes its buckets for (redis.bucket.expected.keys). */
    Map<String, String> connectorConfig(String name, String variant, int distinctKeys) {
        Map<String, String> config = cluster.sinkConfig(name);
        config.put("tasks.max", Integer.toString(options.tasks()));
        if (variant.equals("noop")) {
            // the same converters as the connector's; the redis settings are ignored
            config.put("connector.class", NoopSinkConnector.class.getName());
        } else {
            // "zstd+auto@buckets": compression.codec=zstd, compression.dictionary=auto, redis.layout=buckets
            Variant parsed = Variant.parse(variant);
            config.put("compression.codec", parsed.codec());
            if (parsed.dictionary() != null) {
                config.put("compression.dictionary", parsed.dictionary());
            }
            if (parsed.command() != null) {
                config.put("redis.command", parsed.command());
                config.put("redis.delivery.guarantee", parsed.atLeastOnce() ? "at_least_once" : "exactly_once");
                config.put("redis.exactly.once.key.prefix", MARK_PREFIX);
                if (parsed.command().equals("sadd") || parsed.command().equals("zadd")) {
                    config.put("behavior.on.null.values", "ignore"); // the member is the value: a tombstone cannot name it
                }
                if (parsed.command().equals("zadd")) {
                    config.put("redis.zset.score", "timestamp");
                }
            }
            if (parsed.buckets()) {
                if (distinctKeys < 1) {
                    throw new IllegalArgumentException(variant + ": a bucket variant needs the number of distinct keys");
                }
                config.put("redis.layout", "buckets");
                config.put("redis.bucket.prefix", bucketPrefix(name));
                config.put("redis.bucket.expected.keys", Integer.toString(distinctKeys));
            }
            config.putAll(options.connectorSettings());
        }
        if (options.maxPollRecords() != null) {
            config.put("consumer.override.max.poll.records", Integer.toString(options.maxPollRecords()));
        }
        return config;
    }

    /** The threads that work for connector {@code name}'s sink in the worker. */
    private static CpuMeter.Classifier sinkThreads(String name) {
        return (id, thread) -> {
            if (thread.startsWith(TASK_THREAD_PREFIX + name + "-")) {
                return "task";
            }
            if (thread.startsWith(LETTUCE_THREAD_PREFIX)) {
                return "lettuce";
            }
            // the classic consumer's heartbeat thread is named after the group: "... | connect-<name>"
            if (thread.endsWith("connect-" + name)) {
                return "consumer";
            }
            return null;
        };
    }

    /** Creates the topic and fills it with the first {@code records} of the workload; returns its end offsets. */
    Map<TopicPartition, Long> produce(String topic, Workload workload, int records) throws Exception {
        cluster.connect.kafka().createTopic(topic, options.partitions());
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, workload.keys()[i], workload.values()[i]));
            }
        }
        Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        for (int p = 0; p < options.partitions(); p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> end = new LinkedHashMap<>();
        admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> end.put(tp, info.offset()));
        long total = end.values().stream().mapToLong(Long::longValue).sum();
        if (total != records) {
            throw new IllegalStateException(topic + " holds " + total + " records, " + records + " were produced");
        }
        return end;
    }

    /** Polls the consumer group's committed offsets until every partition reaches its end offset; returns when. */
    private long awaitCommitted(String name, Map<TopicPartition, Long> endOffsets, long began) throws Exception {
        long deadline = began + TimeUnit.SECONDS.toNanos(options.timeoutSeconds());
        long nextStatusCheck = began + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            Map<TopicPartition, Long> committed = ConnectAndRedis.committedOffsets(admin, name);
            long now = System.nanoTime();
            if (endOffsets.entrySet().stream().allMatch(e -> committed.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return now;
            }
            if (now > nextStatusCheck) {
                requireNoFailedTask(name);
                nextStatusCheck = now + TimeUnit.SECONDS.toNanos(2);
            }
            if (now > deadline) {
                throw new IllegalStateException(name + ": committed " + committed + " of " + endOffsets + " after "
                        + options.timeoutSeconds() + " s");
            }
            Thread.sleep(COMMIT_POLL_MILLIS);
        }
    }

    void requireNoFailedTask(String name) {
        ConnectorStateInfo status;
        try {
            status = cluster.connect.connectorStatus(name);
        } catch (ConnectRestException notYetThere) {
            return;
        }
        for (ConnectorStateInfo.TaskState task : status.tasks()) {
            if (task.state().equals("FAILED")) {
                throw new IllegalStateException(name + ": task " + task.id() + " failed: " + task.trace());
            }
        }
    }

    /** The worker runs a task with its plugin's class loader as the thread's context loader: that one must be isolated. */
    private static void checkLoadedByPluginClassLoader(String name) throws ClassNotFoundException {
        Thread task = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(TASK_THREAD_PREFIX + name + "-")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no task thread of " + name));
        ClassLoader loader = task.getContextClassLoader();
        Class<?> connector = Class.forName(ConnectAndRedis.CONNECTOR_CLASS, false, loader);
        if (!(connector.getClassLoader() instanceof PluginClassLoader plugin)) {
            throw new IllegalStateException(ConnectAndRedis.CONNECTOR_CLASS + " was loaded by " + connector.getClassLoader()
                    + ", not by a PluginClassLoader of the plugin directory");
        }
        System.out.println("[bench] " + ConnectAndRedis.CONNECTOR_CLASS + " loaded by " + plugin.getClass().getSimpleName()
                + " " + plugin.location());
    }

    /** Deletes the connector and waits until its tasks and the plugin's Lettuce threads have ended, so runs do not overlap. */
    void deleteConnector(String name) throws InterruptedException {
        cluster.connect.deleteConnector(name);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .anyMatch(t -> t.startsWith(TASK_THREAD_PREFIX + name + "-") || t.startsWith(LETTUCE_THREAD_PREFIX))) {
            if (System.nanoTime() > deadline) {
                System.out.println("[bench] warning: threads of " + name + " still there 30 s after its deletion");
                return;
            }
            Thread.sleep(50);
        }
    }

    /**
     * The baseline without Kafka: the same key and value bytes written by plain Lettuce, pipelined SETs in batches
     * (auto-flush off, one flush per batch, every reply awaited and checked before the next batch), timed from the
     * client's creation to the last reply. CPU: this sending thread and the client's Lettuce threads.
     */
    private Run runLettuce(String label, Workload workload, int records) throws Exception {
        byte[] prefix = ("tb-" + workload.payload() + "-lettuce-" + label + ":").getBytes(StandardCharsets.UTF_8);
        byte[][] keys = new byte[records][];
        for (int i = 0; i < records; i++) {
            byte[] key = workload.keys()[i];
            keys[i] = new byte[prefix.length + key.length];
            System.arraycopy(prefix, 0, keys[i], 0, prefix.length);
            System.arraycopy(key, 0, keys[i], prefix.length, key.length);
        }
        cluster.redisClient.flushAll();
        long sender = Thread.currentThread().getId();
        CpuMeter meter = CpuMeter.start((id, thread) -> id == sender ? "sender"
                : thread.startsWith(LETTUCE_THREAD_PREFIX) ? "lettuce" : null, CPU_SAMPLE_MILLIS);
        long redisCpuBefore = redisCpuNanos();
        long began = System.nanoTime();
        ClientResources resources = DefaultClientResources.create();
        RedisClient client = RedisClient.create(resources, cluster.redis.uri());
        long ended;
        CpuMeter.Report cpu;
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            connection.setAutoFlushCommands(false);
            RedisAsyncCommands<byte[], byte[]> redis = connection.async();
            List<RedisFuture<String>> batch = new ArrayList<>(options.lettuceBatch());
            for (int i = 0; i < records; i++) {
                batch.add(redis.set(keys[i], workload.values()[i]));
                if (batch.size() == options.lettuceBatch() || i == records - 1) {
                    connection.flushCommands();
                    for (RedisFuture<String> reply : batch) {
                        // get(), not await(): a failed SET completes too
                        String ok = reply.get(30, TimeUnit.SECONDS);
                        if (!"OK".equals(ok)) {
                            throw new IllegalStateException("SET replied " + ok);
                        }
                    }
                    batch.clear();
                }
            }
            ended = System.nanoTime();
            cpu = meter.stop();
        } finally {
            client.shutdown();
            resources.shutdown(0, 2, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        }
        long redisCpu = redisCpuNanos() - redisCpuBefore;
        long stored = cluster.redisClient.dbsize();
        if (stored != workload.distinctKeys(records)) {
            throw new IllegalStateException("lettuce: Redis holds " + stored + " keys, expected " + workload.distinctKeys(records));
        }
        return new Run("lettuce", records, ended - began, cpu, redisCpuBefore < 0 ? -1 : redisCpu, Memory.NONE);
    }

    /** utime + stime of the bench's redis-server from /proc, in nanoseconds; -1 where /proc cannot be read. */
    private long redisCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(cluster.redis.pid()), "stat"));
            // after "pid (comm) ": state is field 3, utime field 14, stime field 15
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * 1_000_000_000L / clockTicksPerSecond;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            return getconf.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    private void print(Workload workload, Map<String, List<Run>> byVariant) {
        List<Run> noop = byVariant.get("noop");
        BenchStats.Spread noopRate = noop == null ? null : spread(noop, Run::recordsPerSecond);
        BenchStats.Spread noopCpu = noop == null ? null : spread(noop, Run::workerCpuMicros);
        int records = options.records(workload.payload());
        System.out.printf(Locale.ROOT, "%nThroughput, %s: %,d records (values %.0f B on average, %s), %d partition(s), "
                        + "%d task(s), median (min-max) of %d rounds after a warm-up pass, redis-server %s, %d cores%n",
                workload.payload(), records, workload.averageValueBytes(), workload.distinctKeys(records) == records
                        ? "unique keys" : String.format(Locale.ROOT, "keys cycling over %,d", workload.distinctKeys(records)),
                options.partitions(), options.tasks(),
                options.rounds(), cluster.redis.versionString(), Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "Timed from the connector's creation (REST PUT) to every offset committed; worker "
                + "offset.flush.interval.ms=%d, committed offsets read every %d ms; max.poll.records %s; lettuce: "
                + "pipelined SET, batches of %d, no Kafka%n", options.offsetFlushMillis(), COMMIT_POLL_MILLIS,
                options.maxPollRecords() == null ? "the worker's default" : options.maxPollRecords(), options.lettuceBatch());
        System.out.printf(Locale.ROOT, "redis-server: hash-max-listpack-entries %s, hash-max-listpack-value %s%s%n",
                cluster.redisClient.configGet("hash-max-listpack-entries"), cluster.redisClient.configGet("hash-max-listpack-value"),
                options.redisConfig().isEmpty() ? " (its defaults)" : " (--redis-config " + options.redisConfig() + ")");
        System.out.println("| variant | records/s | vs noop | vs keys layout | worker CPU us/record | vs noop | task or sender "
                + "| lettuce | consumer | redis-server us/record | JVM us/record | heap max MB | in flight max (records, KB) |");
        System.out.println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (Map.Entry<String, List<Run>> entry : byVariant.entrySet()) {
            List<Run> runs = entry.getValue();
            BenchStats.Spread rate = spread(runs, Run::recordsPerSecond);
            List<Run> keysRuns = entry.getKey().contains("@") ? byVariant.get(Variant.keysVariantOf(entry.getKey())) : null;
            BenchStats.Spread cpu = spread(runs, Run::workerCpuMicros);
            double redis = runs.stream().allMatch(r -> r.redisCpuNanos() >= 0)
                    ? spread(runs, r -> r.micros(r.redisCpuNanos())).median() : Double.NaN;
            System.out.printf(Locale.ROOT, "| %s | %,.0f (%,.0f-%,.0f) | %s | %s | %.2f (%.2f-%.2f) | %s | %.2f | %.2f | %.2f | %s | %.2f | %,d | %,d, %,d |%n",
                    variantName(entry.getKey()), rate.median(), rate.min(), rate.max(),
                    noopRate == null ? "-" : String.format(Locale.ROOT, "%.2fx", rate.median() / noopRate.median()),
                    keysRuns == null ? "-" : String.format(Locale.ROOT, "%.2fx",
                            rate.median() / spread(keysRuns, Run::recordsPerSecond).median()),
                    cpu.median(), cpu.min(), cpu.max(),
                    noopCpu == null ? "-" : String.format(Locale.ROOT, "%.2fx", cpu.median() / noopCpu.median()),
                    spread(runs, r -> r.groupMicros("task") + r.groupMicros("sender")).median(),
                    spread(runs, r -> r.groupMicros("lettuce")).median(),
                    spread(runs, r -> r.groupMicros("consumer")).median(),
                    Double.isNaN(redis) ? "n/a" : String.format(Locale.ROOT, "%.2f", redis),
                    spread(runs, r -> r.micros(r.cpu().processCpuNanos())).median(),
                    runs.stream().mapToLong(r -> r.cpu().heapMaxBytes()).max().orElse(0) >> 20,
                    runs.stream().mapToLong(r -> r.cpu().inFlightRecordsMax()).max().orElse(0),
                    runs.stream().mapToLong(r -> r.cpu().inFlightBytesMax()).max().orElse(0) >> 10);
        }
        printMemory(byVariant);
        // a run ends at the first commit read after the last record: up to one commit interval and one read late
        double resolutionSeconds = (options.offsetFlushMillis() + COMMIT_POLL_MILLIS) / 1000.0;
        byVariant.forEach((variant, runs) -> {
            double seconds = spread(runs, r -> r.nanos() / 1e9).median();
            if (!variant.equals("lettuce") && seconds < 10 * resolutionSeconds) {
                System.out.printf(Locale.ROOT, "note: %s's runs took %.2f s (median), and the end of a run is known to %.2f s "
                        + "(the commit interval and the reads of it), %.0f%% of that: raise --records for a finer figure%n",
                        variant, seconds, resolutionSeconds, 100 * resolutionSeconds / seconds);
            }
        });
        System.out.println("(worker CPU: the task threads, the Lettuce threads and the consumer's heartbeat thread; for "
                + "lettuce the sending thread and its Lettuce threads. JVM: the whole bench process, broker included. "
                + "Heap max: the shared JVM's highest heap use in any round, context only. In flight: the task metrics "
                + "records-in-flight and bytes-in-flight (estimated heap, bounded by max.in.flight.bytes), highest sample, "
                + "summed over tasks.)");
    }

    /** What each variant left in Redis, against codec none when it ran. */
    private static void printMemory(Map<String, List<Run>> byVariant) {
        List<Run> none = byVariant.get("none");
        double noneMemory = none == null ? Double.NaN : spread(none, r -> r.memory().usedMemoryPerKey()).median();
        System.out.println();
        System.out.println("| variant | value bytes stored / original | stored B per value | Redis used_memory B per key "
                + "(buckets: per entry) | vs none | vs keys layout | listpack buckets | entries per bucket, mean (max) "
                + "| dictionaries stored (B) | values written without dictionary | put() max ms |");
        System.out.println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        byVariant.forEach((variant, runs) -> {
            if (variant.equals("noop") || variant.equals("lettuce")) {
                return;
            }
            double stored = spread(runs, r -> r.memory().storedBytesPerValue()).median();
            double original = spread(runs, r -> r.memory().originalBytesPerValue()).median();
            double memory = spread(runs, r -> r.memory().usedMemoryPerKey()).median();
            List<Run> keysRuns = variant.contains("@") ? byVariant.get(Variant.keysVariantOf(variant)) : null;
            boolean buckets = runs.get(0).memory().buckets() != null;
            BenchStats.Spread withoutDictionary = spread(runs, r -> r.memory().valuesWithoutDictionary());
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.1f | %.1f | %s | %s | %s | %s | %,d | %s | %.0f (%.0f-%.0f) |%n",
                    variantName(variant), stored / original, stored, memory,
                    Double.isNaN(noneMemory) ? "-" : String.format(Locale.ROOT, "%.3fx", memory / noneMemory),
                    keysRuns == null ? "-" : String.format(Locale.ROOT, "%.3fx",
                            memory / spread(keysRuns, r -> r.memory().usedMemoryPerKey()).median()),
                    !buckets ? "-" : listpackColumn(runs),
                    !buckets ? "-" : String.format(Locale.ROOT, "%.1f (%d)",
                            spread(runs, r -> r.memory().buckets().entriesPerBucket()).median(),
                            runs.stream().mapToLong(r -> r.memory().buckets().maxEntries()).max().orElse(0)),
                    runs.stream().mapToLong(r -> r.memory().dictionaryBytes()).max().orElse(0),
                    Variant.parse(variant).dictionary() == null ? "-" : String.format(Locale.ROOT, "%,.0f (%,.0f-%,.0f)",
                            withoutDictionary.median(), withoutDictionary.min(), withoutDictionary.max()),
                    spread(runs, r -> r.memory().putMaxMillis()).median(), spread(runs, r -> r.memory().putMaxMillis()).min(),
                    spread(runs, r -> r.memory().putMaxMillis()).max());
        });
        System.out.println("(used_memory: the server's growth over the emptied server, divided by the value keys, or with "
                + "buckets by the entries (logical keys); it includes the dictionaries and, with buckets, the layout marker. "
                + "Listpack buckets: OBJECT ENCODING of every bucket holding entries, median share (min-max) over the rounds; "
                + "for the median round, the hashtables that hold more entries than hash-max-listpack-entries, and of the "
                + "others those holding a value longer than hash-max-listpack-value that is not compressed with a "
                + "dictionary (with compression.dictionary=auto: written before the dictionary was stored), or only such "
                + "values that are. "
                + "Stored bytes: header included, the mean over the run, so with a dictionary it "
                + "includes the values written before the dictionary was trained. put() max: Connect's sink-task metric "
                + "put-batch-max-time-ms over the run, which with a dictionary includes the polls during its training.)");
    }

    /**
     * The share of listpack buckets, median (min-max) over the rounds, and for the median round why the hashtables are
     * hashtables.
     */
    private static String listpackColumn(List<Run> runs) {
        BenchStats.Spread share = spread(runs, r -> r.memory().buckets().listpackShare());
        Buckets median = runs.stream().map(r -> r.memory().buckets())
                .filter(b -> b.listpackShare() == share.median()).findFirst().orElseThrow();
        return String.format(Locale.ROOT, "%.1f%% (%.1f-%.1f) of %,d; hashtables: %,d over the entry limit, %,d by a long "
                        + "value without dictionary, %,d by a long dictionary value only", 100 * share.median(),
                100 * share.min(), 100 * share.max(), median.used(), median.hashtablesOverEntryLimit(),
                median.hashtablesByValueWithoutDictionary(), median.hashtablesByDictionaryValue());
    }

    private static BenchStats.Spread spread(List<Run> runs, ToDoubleFunction<Run> metric) {
        return BenchStats.Spread.of(runs.stream().map(metric::applyAsDouble).toList());
    }

    private static String variantName(String variant) {
        return switch (variant) {
            case "noop" -> "noop (put() does nothing)";
            case "lettuce" -> "lettuce (pipelined SET, no Kafka)";
            default -> "connector, codec " + variant.replace("@buckets", ", buckets");
        };
    }

    Options options() {
        return options;
    }

    ConnectAndRedis cluster() {
        return cluster;
    }

    Admin admin() {
        return admin;
    }
}
