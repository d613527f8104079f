package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class EncodingSessionTest {

    private static final int[] SIZES = {0, 1, 63, 64, 127, 128, 190, 1000, 4096, 16383, 16384, 100_000, 1 << 20, 3 << 20};

    private static ValueEncoder encoder(Codec codec) {
        return ValueEncoder.builder().codec(codec).build();
    }

    /** Originals of every size, compressible, incompressible and half-and-half: fewer than 64 per size class. */
    private static List<byte[]> originals() {
        List<byte[]> originals = new ArrayList<>();
        for (int size : SIZES) {
            originals.add(TestPayloads.jsonLines(size));
            originals.add(TestPayloads.random(size, size));
            originals.add(TestPayloads.mixed(size, size));
        }
        originals.add(TestPayloads.heartbeat190());
        originals.add(TestPayloads.json1500());
        return originals;
    }

    @ParameterizedTest
    @MethodSource("io.redcompress.connect.codec.TestPayloads#codecsAndChecksum")
    void roundTripsEverySizeWithTheBytesOfTheStatelessEncoder(Codec codec, boolean checksum) {
        ValueEncoder encoder = ValueEncoder.builder().codec(codec).checksum(checksum).build();
        try (EncodingSession session = encoder.session()) {
            for (byte[] original : originals()) {
                byte[] encoded = session.encode(original);
                assertThat(ValueDecoder.defaults().decodeValue(encoded)).isEqualTo(original);
                // no size class saw 64 attempts, so nothing was skipped: the same bytes as the stateless encoder
                assertThat(encoded).as("%s, %d bytes", codec, original.length).isEqualTo(encoder.encode(original));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void compressibleValuesKeepTheStatelessBytesForever(Codec codec) {
        ValueEncoder encoder = encoder(codec);
        byte[] json = TestPayloads.json1500();
        byte[] heartbeat = TestPayloads.heartbeat190();
        try (EncodingSession session = encoder.session()) {
            for (int i = 0; i < 500; i++) {
                byte[] original = TestPayloads.jsonLines(1000 + i); // compress with every codec
                assertThat(session.encode(original)).isEqualTo(encoder.encode(original));
                assertThat(session.encode(json)).isEqualTo(encoder.encode(json));
            }
            if (codec == Codec.ZSTD || codec == Codec.GZIP) { // they save 10% and 7% on the heartbeat
                for (int i = 0; i < 500; i++) {
                    assertThat(session.encode(heartbeat)).isEqualTo(encoder.encode(heartbeat));
                }
            }
            assertThat(session.stats().skipped()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void encodeValueReportsTheCodecActuallyUsed(Codec codec) {
        try (EncodingSession session = encoder(codec).session()) {
            EncodedValue json = session.encodeValue(TestPayloads.json1500());
            assertThat(json.codec()).isEqualTo(codec);
            assertThat(json.originalLength()).isEqualTo(TestPayloads.json1500().length);
            assertThat(session.encodeValue(TestPayloads.random(500, 5)).codec()).isEqualTo(Codec.NONE);
            byte[] padded = new byte[2000];
            System.arraycopy(TestPayloads.json1500(), 0, padded, 100, TestPayloads.json1500().length);
            EncodedValue slice = session.encodeValue(padded, 100, TestPayloads.json1500().length);
            assertThat(slice.bytes()).isEqualTo(json.bytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void valuesReturnedEarlierAreNeverTouchedByLaterEncodes(Codec codec) {
        // each original twice in a row, then a variant of the same length: results of one size follow each other
        List<byte[]> originals = new ArrayList<>();
        for (byte[] original : originals()) {
            byte[] variant = original.clone();
            if (variant.length > 0) {
                variant[variant.length / 2] ^= 1;
            }
            originals.add(original);
            originals.add(original);
            originals.add(variant);
        }
        List<byte[]> returned = new ArrayList<>();
        List<byte[]> copies = new ArrayList<>();
        try (EncodingSession session = encoder(codec).session()) {
            for (int round = 0; round < 2; round++) {
                for (byte[] original : originals) {
                    byte[] encoded = session.encode(original);
                    for (byte[] earlier : returned) {
                        assertThat(encoded).isNotSameAs(earlier);
                    }
                    returned.add(encoded);
                    copies.add(encoded.clone());
                }
            }
        }
        for (int i = 0; i < returned.size(); i++) {
            assertThat(returned.get(i)).as("value %d", i).isEqualTo(copies.get(i));
            assertThat(ValueDecoder.defaults().decodeValue(returned.get(i))).isEqualTo(originals.get(i % originals.size()));
        }
    }

    @Test
    void twoSessionsOnTwoThreadsEncodeCorrectlyAtTheSameTime() throws Exception {
        List<byte[]> originals = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            int size = 50 + (i * 37) % 3000;
            originals.add(i % 3 == 0 ? TestPayloads.random(size, i) : i % 3 == 1 ? TestPayloads.mixed(size, i) : TestPayloads.jsonLines(size));
        }
        for (Codec codec : Codec.values()) {
            ValueEncoder encoder = encoder(codec);
            // the rule is deterministic: one session on this thread gives the bytes each thread must give
            List<byte[]> expected = new ArrayList<>();
            try (EncodingSession reference = encoder.session()) {
                for (byte[] original : originals) {
                    expected.add(reference.encode(original));
                }
            }
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                List<Future<List<byte[]>>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    results.add(threads.submit(() -> {
                        List<byte[]> encoded = new ArrayList<>();
                        try (EncodingSession session = encoder.session()) {
                            for (byte[] original : originals) {
                                encoded.add(session.encode(original));
                            }
                        }
                        return encoded;
                    }));
                }
                for (Future<List<byte[]>> result : results) {
                    List<byte[]> encoded = result.get(60, TimeUnit.SECONDS);
                    for (int i = 0; i < originals.size(); i++) {
                        assertThat(encoded.get(i)).as("%s value %d", codec, i).isEqualTo(expected.get(i));
                        assertThat(ValueDecoder.decode(encoded.get(i))).isEqualTo(originals.get(i));
                    }
                }
            } finally {
                threads.shutdownNow();
                threads.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aSessionRefusesASecondThread() throws Exception {
        try (EncodingSession session = encoder(Codec.LZ4).session()) {
            session.encode(TestPayloads.json1500());
            ExecutorService other = Executors.newSingleThreadExecutor(r -> new Thread(r, "other-thread"));
            try {
                Future<byte[]> result = other.submit(() -> session.encode(TestPayloads.json1500()));
                assertThatThrownBy(result::get).hasCauseInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("belongs to thread '" + Thread.currentThread().getName() + "'")
                        .hasMessageContaining("used from 'other-thread'");
            } finally {
                other.shutdownNow();
            }
            assertThat(session.encode(TestPayloads.heartbeat190())).isNotEmpty();
        }
    }

    @Test
    void theThreadThatEncodesFirstOwnsTheSession() throws Exception {
        EncodingSession session = encoder(Codec.LZ4).session(); // made here, used there: fine
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            assertThat(other.submit(() -> session.encode(TestPayloads.json1500())).get()).isNotEmpty();
            assertThatThrownBy(() -> session.encode(TestPayloads.json1500())).isInstanceOf(IllegalStateException.class);
        } finally {
            other.shutdownNow();
        }
        session.close();
    }

    @Test
    void theScratchBufferGrowsForLargeValuesAndIsDroppedAfterAHugeOne() {
        try (EncodingSession session = encoder(Codec.LZ4).session()) {
            assertThat(session.scratchCapacity()).isZero();
            session.encode(TestPayloads.json1500());
            int small = session.scratchCapacity();
            assertThat(small).isEqualTo(4096);
            session.encode(TestPayloads.json1500());
            assertThat(session.scratchCapacity()).as("kept").isEqualTo(small);

            byte[] large = TestPayloads.jsonLines(100_000);
            assertThat(ValueDecoder.decode(session.encode(large))).isEqualTo(large);
            int grown = session.scratchCapacity();
            assertThat(grown).isGreaterThanOrEqualTo(100_000).isLessThanOrEqualTo(EncodingSession.MAX_RETAINED_SCRATCH);
            session.encode(TestPayloads.json1500());
            assertThat(session.scratchCapacity()).as("not shrunk for a small value").isEqualTo(grown);

            byte[] justBelow = TestPayloads.jsonLines(EncodingSession.MAX_RETAINED_SCRATCH - 10_000);
            session.encode(justBelow);
            assertThat(session.scratchCapacity()).as("up to 1 MiB is kept")
                    .isGreaterThan(grown).isLessThanOrEqualTo(EncodingSession.MAX_RETAINED_SCRATCH);

            byte[] huge = TestPayloads.jsonLines(3 << 20);
            assertThat(ValueDecoder.decode(session.encode(huge))).isEqualTo(huge);
            assertThat(session.scratchCapacity()).as("a buffer over 1 MiB is dropped after use").isZero();
            session.encode(TestPayloads.heartbeat190());
            assertThat(session.scratchCapacity()).isEqualTo(4096);
        }
    }

    @Test
    void valuesThatAreNotCompressedNeedNoScratch() {
        try (EncodingSession none = encoder(Codec.NONE).session();
             EncodingSession small = encoder(Codec.ZSTD).session()) {
            none.encode(TestPayloads.json1500());
            small.encode(new byte[10]); // below the minimum size
            assertThat(none.scratchCapacity()).isZero();
            assertThat(small.scratchCapacity()).isZero();
        }
    }

    @Test
    void closeFreesTheCompressionOnceAndLaterEncodesFailClearly() {
        AtomicInteger closes = new AtomicInteger();
        BlockCompressor.Compression zstd = BlockCompressors.of(Codec.ZSTD).open(3);
        BlockCompressor.Compression counting = new BlockCompressor.Compression() {
            @Override
            public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
                return zstd.compress(src, srcOff, srcLen, dst, dstOff);
            }

            @Override
            public void close() {
                closes.incrementAndGet();
                zstd.close();
            }
        };
        EncodingSession session = new EncodingSession(encoder(Codec.ZSTD), counting);
        byte[] original = TestPayloads.json1500();
        session.encode(original);
        session.close();
        assertThat(closes).hasValue(1);
        assertThat(session.scratchCapacity()).isZero();
        session.close();
        assertThat(closes).as("idempotent").hasValue(1);
        assertThatThrownBy(() -> session.encode(original)).isInstanceOf(IllegalStateException.class)
                .hasMessage("EncodingSession is closed; get a new one from ValueEncoder.session()");
        assertThatThrownBy(() -> session.encodeValue(original)).isInstanceOf(IllegalStateException.class);
        assertThat(session.stats().values()).as("readable after close").isEqualTo(1);
        assertThat(session.toString()).endsWith(", closed]");
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void everyCodecsSessionCanBeClosed(Codec codec) {
        EncodingSession session = encoder(codec).session();
        session.encode(TestPayloads.json1500());
        session.close();
        assertThatThrownBy(() -> session.encode(new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(value = Codec.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void incompressibleSmallValuesStopBeingCompressedAndCompressibleOnesStartAgain(Codec codec) {
        ValueEncoder encoder = encoder(codec);
        try (EncodingSession session = encoder.session()) {
            for (int i = 0; i < 64; i++) {
                session.encode(TestPayloads.random(200, i));
            }
            assertThat(session.stats()).isEqualTo(new EncodingSession.Stats(64, 64, 0, 0));
            assertThat(session.isSkipping(200)).isTrue();
            assertThat(session.isSkipping(1000)).as("other sizes are judged on their own").isFalse();

            // skipped values are exactly what the stateless encoder stores for values that do not shrink
            byte[] compressible = TestPayloads.jsonLines(200);
            byte[] skipped = session.encode(compressible);
            assertThat(ValueDecoder.header(skipped).codec()).isEqualTo(Codec.NONE);
            assertThat(skipped).isEqualTo(ValueEncoder.builder().codec(Codec.NONE).build().encode(compressible));
            assertThat(ValueDecoder.decode(skipped)).isEqualTo(compressible);
            assertThat(session.stats()).isEqualTo(new EncodingSession.Stats(65, 64, 0, 1));

            // the data turns compressible: the probes (1 in 32) see it, and after 8 of them attempts resume
            int probesBefore = 0;
            for (int i = 2; i <= 8 * 32; i++) {
                byte[] encoded = session.encode(TestPayloads.jsonLines(200 + i % 50));
                if (i % 32 == 0) {
                    assertThat(ValueDecoder.header(encoded).codec()).as("probe %d", i / 32).isEqualTo(codec);
                    probesBefore++;
                } else {
                    assertThat(ValueDecoder.header(encoded).codec()).isEqualTo(Codec.NONE);
                }
            }
            assertThat(probesBefore).isEqualTo(8);
            assertThat(session.isSkipping(200)).isFalse();
            assertThat(session.stats()).isEqualTo(new EncodingSession.Stats(64 + 256, 64 + 8, 8, 256 - 8));
            for (int i = 0; i < 10; i++) {
                byte[] original = TestPayloads.jsonLines(210 + i);
                assertThat(session.encode(original)).isEqualTo(encoder.encode(original));
            }
            assertThat(session.stats()).isEqualTo(new EncodingSession.Stats(64 + 256 + 10, 64 + 8 + 10, 8 + 10, 256 - 8));
        }
    }

    @Test
    void lz4StopsTryingOnHeartbeatsWhileZstdKeepsCompressingThem() {
        byte[] heartbeat = TestPayloads.heartbeat190();
        try (EncodingSession lz4 = encoder(Codec.LZ4).session(); EncodingSession zstd = encoder(Codec.ZSTD).session()) {
            for (int i = 0; i < 64 + 32 * 10; i++) {
                assertThat(ValueDecoder.decode(lz4.encode(heartbeat))).isEqualTo(heartbeat);
                zstd.encode(heartbeat);
            }
            assertThat(lz4.stats()).isEqualTo(new EncodingSession.Stats(384, 64 + 10, 0, 320 - 10));
            assertThat(zstd.stats()).isEqualTo(new EncodingSession.Stats(384, 384, 384, 0));
        }
    }

    @Test
    void valuesBelowTheMinimumOrWithCodecNoneAreCountedButNeverAttempted() {
        try (EncodingSession session = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(100).build().session();
             EncodingSession none = encoder(Codec.NONE).session()) {
            session.encode(new byte[99]);
            session.encode(TestPayloads.jsonLines(100));
            none.encode(TestPayloads.json1500());
            assertThat(session.stats()).isEqualTo(new EncodingSession.Stats(2, 1, 1, 0));
            assertThat(none.stats()).isEqualTo(new EncodingSession.Stats(1, 0, 0, 0));
        }
    }

    @Test
    void argumentsAreCheckedAsByTheStatelessEncoder() {
        try (EncodingSession session = encoder(Codec.LZ4).session()) {
            assertThatThrownBy(() -> session.encode(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> session.encode(new byte[10], 5, 6)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(session.stats().values()).isZero();
        }
    }
}
