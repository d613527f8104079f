package io.redcompress.connect.codec.bench;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.EncodedValue;
import io.redcompress.connect.codec.EncodingSession;
import io.redcompress.connect.codec.TestPayloads;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Encode and decode throughput per codec for the two typical record shapes: a 190-byte device
 * heartbeat and a 1.5 KB JSON document. Sizes are printed before the run. {@code encode} is the
 * stateless {@link ValueEncoder#encode(byte[])}; {@code encodeSession} is what a task does, one
 * {@link EncodingSession} per thread encoding value after value (the same value here, so where
 * compression does not pay, as lz4 and snappy on the heartbeat, the session soon skips it but for one
 * probe in 32).
 *
 * <pre>
 * ./mvnw -q -Pbench package -Dbench.main=io.redcompress.connect.codec.bench.CodecBenchmark -Dbench.args="-wi 2 -i 3 -w 1s -r 1s -f 1"
 *     # a quick run of a few seconds; pass JMH options (e.g. -wi 3 -i 5 -f 1) for a real measurement
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CodecBenchmark {

    @Param({"NONE", "LZ4", "SNAPPY", "ZSTD", "GZIP"})
    public String codec;

    @Param({"heartbeat190", "json1500"})
    public String payload;

    private ValueEncoder encoder;
    private ValueDecoder decoder;
    private byte[] original;
    private byte[] encoded;

    @Setup
    public void setUp() {
        encoder = ValueEncoder.builder().codec(Codec.valueOf(codec)).build();
        decoder = ValueDecoder.defaults();
        original = payload(payload);
        encoded = encoder.encode(original);
    }

    @Benchmark
    public byte[] encode() {
        return encoder.encode(original);
    }

    /** The benchmark thread's session, open for the whole trial like a task's. */
    @State(Scope.Thread)
    public static class Session {
        EncodingSession session;

        @Setup
        public void open(CodecBenchmark benchmark) {
            session = benchmark.encoder.session();
        }

        @TearDown
        public void close() {
            session.close();
        }
    }

    @Benchmark
    public byte[] encodeSession(Session session) {
        return session.session.encode(original);
    }

    @Benchmark
    public byte[] decode() {
        return decoder.decodeValue(encoded);
    }

    static byte[] payload(String name) {
        switch (name) {
            case "heartbeat190":
                return TestPayloads.heartbeat190();
            case "json1500":
                return TestPayloads.json1500();
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /** Encoded size per codec and payload, with the codec actually used (none = did not shrink). */
    static void printSizes() {
        System.out.printf("%-13s %-7s %8s %8s %7s %s%n", "payload", "codec", "original", "encoded", "ratio", "stored as");
        for (String name : new String[] {"heartbeat190", "json1500"}) {
            byte[] value = payload(name);
            for (Codec c : Codec.values()) {
                EncodedValue result = ValueEncoder.builder().codec(c).build().encodeValue(value);
                System.out.printf("%-13s %-7s %8d %8d %7.3f %s%n", name, c.configName(), value.length,
                        result.encodedLength(), result.ratio(), result.codec().configName());
            }
        }
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        printSizes();
        Options options;
        if (args.length > 0) {
            options = new OptionsBuilder().parent(new CommandLineOptions(args))
                    .include(CodecBenchmark.class.getName()).build();
        } else {
            options = new OptionsBuilder()
                    .include(CodecBenchmark.class.getName())
                    .forks(0)
                    .warmupIterations(1)
                    .warmupTime(TimeValue.milliseconds(100))
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(100))
                    .shouldDoGC(false)
                    .build();
        }
        new Runner(options).run();
    }
}
