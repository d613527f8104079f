package io.redcompress.connect.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * Deterministic sample values shared by the tests, the golden-vector generator and the benchmark.
 * Changing any of these changes the golden vectors: rerun {@link GoldenVectorGenerator}.
 */
public final class TestPayloads {

    private TestPayloads() {
    }

    /** A 190-byte device heartbeat, the typical small IoT record. */
    /** Every codec with the checksum on and off, for parameterized tests. */
    static Stream<Arguments> codecsAndChecksum() {
        List<Arguments> args = new ArrayList<>();
        for (Codec codec : Codec.values()) {
            args.add(Arguments.of(codec, true));
            args.add(Arguments.of(codec, false));
        }
        return args.stream();
    }

    public static byte[] heartbeat190() {
        String json = "{\"deviceId\":\"sensor-0042\",\"type\":\"heartbeat\",\"ts\":1718000000123,"
                + "\"fw\":\"2.4.1\",\"battery\":87,\"rssi\":-67,\"tempC\":21.5,\"uptimeS\":864231,"
                + "\"status\":\"ok\",\"seq\":10452,\"site\":\"plant-7\",\"zone\":\"B3-017\"}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (bytes.length != 190) {
            throw new IllegalStateException("heartbeat fixture must be 190 bytes, is " + bytes.length);
        }
        return bytes;
    }

    /** About 1.5 KB of order JSON: repetitive keys, varied values. */
    public static byte[] json1500() {
        StringBuilder sb = new StringBuilder(1600);
        sb.append("{\"orderId\":\"ord-2024-000981\",\"customer\":{\"id\":77120,\"name\":\"Ada Lovelace\",")
                .append("\"email\":\"ada@example.com\",\"tier\":\"gold\"},\"currency\":\"EUR\",\"items\":[");
        Random random = new Random(1500);
        String[] products = {"widget", "gadget", "sprocket", "flange", "gizmo", "doohickey"};
        for (int i = 0; i < 14; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"sku\":\"SKU-").append(10000 + random.nextInt(90000))
                    .append("\",\"product\":\"").append(products[random.nextInt(products.length)])
                    .append("\",\"qty\":").append(1 + random.nextInt(9))
                    .append(",\"unitPrice\":").append(random.nextInt(10000) / 100.0)
                    .append(",\"warehouse\":\"wh-").append(random.nextInt(5)).append("\"}");
        }
        sb.append("],\"shipping\":{\"method\":\"express\",\"address\":{\"street\":\"12 Analytical Engine Way\",")
                .append("\"city\":\"London\",\"postcode\":\"N1 9GU\",\"country\":\"GB\"}},")
                .append("\"notes\":\"Leave at reception if nobody answers.\",\"createdAt\":\"2024-06-10T08:15:30Z\"}");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 1400 || bytes.length > 1600) {
            throw new IllegalStateException("json fixture should be about 1.5 KB, is " + bytes.length);
        }
        return bytes;
    }

    /** {@code length} bytes from a seeded {@link Random}: incompressible, reproducible. */
    public static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A large, fairly compressible value: repeated JSON lines with a counter. */
    public static byte[] jsonLines(int length) {
        StringBuilder sb = new StringBuilder(length + 200);
        for (int i = 0; sb.length() < length; i++) {
            sb.append("{\"n\":").append(i).append(",\"device\":\"sensor-").append(i % 97)
                    .append("\",\"value\":").append((i * 7919) % 1000).append("}\n");
        }
        sb.setLength(length);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Mixed content: half random, half text, so compression helps only partly. */
    public static byte[] mixed(int length, long seed) {
        byte[] bytes = jsonLines(length);
        byte[] noise = random(length / 2, seed);
        System.arraycopy(noise, 0, bytes, 0, noise.length);
        return bytes;
    }

    public static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    public static byte[] unhex(String hex) {
        String h = hex.replaceAll("\\s", "");
        byte[] out = new byte[h.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
