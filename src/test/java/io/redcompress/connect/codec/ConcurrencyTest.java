package io.redcompress.connect.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many threads share one encoder per codec and one decoder, working on different values at the same
 * time. Any state shared between calls (buffers, contexts, Deflaters) would show up as wrong output
 * or a crash here.
 */
class ConcurrencyTest {

    private static final int THREADS = 16;
    private static final int ROUNDS = 150;

    @Test
    void sharedEncodersAndDecoderAreThreadSafe() throws Exception {
        Map<Codec, ValueEncoder> encoders = new EnumMap<>(Codec.class);
        for (Codec codec : Codec.values()) {
            encoders.put(codec, ValueEncoder.builder().codec(codec).minSizeToCompress(16).build());
        }
        ValueDecoder decoder = ValueDecoder.defaults();

        // values of very different sizes and compressibility, with single-threaded reference encodings
        List<byte[]> values = new ArrayList<>();
        Random random = new Random(99);
        for (int i = 0; i < 40; i++) {
            int size = random.nextInt(4) == 0 ? 50_000 + random.nextInt(200_000) : random.nextInt(3000);
            values.add(i % 3 == 0 ? TestPayloads.random(size, i) : TestPayloads.mixed(size, i));
        }
        values.add(TestPayloads.heartbeat190());
        values.add(TestPayloads.json1500());
        Map<Codec, List<byte[]>> reference = new EnumMap<>(Codec.class);
        for (Codec codec : Codec.values()) {
            List<byte[]> encoded = new ArrayList<>();
            for (byte[] value : values) {
                encoded.add(encoders.get(codec).encode(value));
            }
            reference.put(codec, encoded);
        }

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                long seed = t;
                results.add(pool.submit(() -> {
                    start.await();
                    Random r = new Random(seed);
                    int checked = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        Codec codec = Codec.values()[r.nextInt(Codec.values().length)];
                        int index = r.nextInt(values.size());
                        byte[] original = values.get(index);
                        byte[] encoded = encoders.get(codec).encode(original);
                        if (codec != Codec.GZIP) {
                            assertThat(encoded).isEqualTo(reference.get(codec).get(index));
                        }
                        assertThat(decoder.decodeValue(encoded)).isEqualTo(original);
                        // decode someone else's encoding too
                        byte[] other = reference.get(codec).get(r.nextInt(values.size()));
                        byte[] decodedOther = decoder.decodeValue(other);
                        assertThat(decodedOther).hasSize(ValueDecoder.header(other).originalLength());
                        checked++;
                    }
                    return checked;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> result : results) {
                total += result.get(60, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(THREADS * ROUNDS);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        // and nothing was mutated along the way
        for (Codec codec : Codec.values()) {
            for (int i = 0; i < values.size(); i++) {
                assertThat(Arrays.equals(decoder.decodeValue(reference.get(codec).get(i)), values.get(i))).isTrue();
            }
        }
    }
}
