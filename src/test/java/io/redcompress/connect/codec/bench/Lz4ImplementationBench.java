package io.redcompress.connect.codec.bench;

import java.nio.charset.StandardCharsets;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * What lz4-java's pure-Java "safe" compressor costs against its native one, per value: the compressor a worker used
 * before the connector asked for the native library itself (lz4-java's fastestInstance() tries it only under the
 * system class loader, never in a plugin's). Three rounds, the last one reported.
 *
 * <pre>./mvnw -q -Pbench package -Dbench.main=io.redcompress.connect.codec.bench.Lz4ImplementationBench</pre>
 */
public final class Lz4ImplementationBench {

    private Lz4ImplementationBench() {
    }

    public static void main(String[] args) {
        String heartbeat = "{\"alerts\":[],\"battery\":46,\"deviceId\":\"sensor-000042\",\"fw\":\"2.4.2\",\"humidity\":68.1,"
                + "\"lat\":52.491488,\"lon\":13.333909,\"model\":\"TH-200\",\"rssi\":-86,\"seq\":15000,\"status\":\"DEGRADED\","
                + "\"temp\":23.4,\"ts\":1764015000000}";
        StringBuilder log = new StringBuilder();
        while (log.length() < 1500) {
            log.append("{\"level\":\"INFO\",\"service\":\"checkout\",\"msg\":\"order placed\",\"orderId\":").append(log.length())
                    .append(",\"items\":[1,2,3]} ");
        }
        measure("heartbeat", heartbeat.getBytes(StandardCharsets.UTF_8), 500_000);
        measure("JSON log", log.toString().getBytes(StandardCharsets.UTF_8), 100_000);
    }

    private static void measure(String name, byte[] value, int values) {
        for (int round = 1; round <= 3; round++) {
            double[] nanos = new double[2];
            LZ4Factory[] factories = {LZ4Factory.safeInstance(), LZ4Factory.nativeInstance()};
            for (int f = 0; f < 2; f++) {
                LZ4Compressor compressor = factories[f].fastCompressor();
                byte[] out = new byte[compressor.maxCompressedLength(value.length)];
                long bytes = 0;
                long start = System.nanoTime();
                for (int i = 0; i < values; i++) {
                    bytes += compressor.compress(value, 0, value.length, out, 0, out.length);
                }
                nanos[f] = (double) (System.nanoTime() - start) / values;
                if (bytes == 0) {
                    throw new IllegalStateException("nothing compressed");
                }
            }
            if (round == 3) {
                System.out.printf("%s (%d B), %,d values: pure Java %.0f ns/value, native %.0f ns/value: native is %.1fx faster%n",
                        name, value.length, values, nanos[0], nanos[1], nanos[0] / nanos[1]);
            }
        }
    }
}
