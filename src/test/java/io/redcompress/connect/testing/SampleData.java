package io.redcompress.connect.testing;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Payloads shaped like the product's use cases, for the quickstart and the benchmarks: IoT device heartbeats
 * (~190 bytes of JSON) and structured JSON log lines (~1.5 KB), varied by a seeded Random so that runs repeat.
 */
public final class SampleData {

    private static final String[] STATUSES = {"OK", "OK", "OK", "OK", "LOW_BATTERY", "DEGRADED"};
    private static final String[] LEVELS = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
    private static final String[] SERVICES = {"checkout", "payments", "inventory", "search", "auth"};
    private static final String[] PATHS = {"/api/v2/orders", "/api/v2/cart/items", "/api/v1/login", "/api/v2/search", "/health"};
    private static final String[] MESSAGES = {
        "Order placed successfully after payment authorisation",
        "Upstream latency above threshold, falling back to cached inventory",
        "Token refreshed for session",
        "Search index query completed",
        "Rejected request: missing or expired credentials"};

    private SampleData() {
    }

    /**
     * One payload of a kind named as the benchmarks' {@code --payload} flag names it: {@code heartbeat} (device
     * {@code sensor-<sequence>}), {@code log}, or {@code random} (512 random bytes, which no codec shrinks).
     */
    public static byte[] ofKind(String kind, long sequence, Random random) {
        return switch (kind) {
            case "heartbeat" -> heartbeat(String.format("sensor-%07d", sequence), sequence, random);
            case "log" -> logLine(sequence, random);
            case "random" -> {
                byte[] bytes = new byte[512];
                random.nextBytes(bytes);
                yield bytes;
            }
            default -> throw new IllegalArgumentException("payload must be heartbeat, log or random, not " + kind);
        };
    }

    public static byte[] heartbeat(String deviceId, long sequence, Random random) {
        String json = String.format("{\"deviceId\":\"%s\",\"ts\":%d,\"seq\":%d,\"battery\":%d,\"rssi\":%d,\"temp\":%.1f,"
                        + "\"humidity\":%.1f,\"status\":\"%s\",\"model\":\"TH-200\",\"fw\":\"2.4.%d\",\"lat\":%.6f,\"lon\":%.6f,\"alerts\":[]}",
                deviceId, 1_764_000_000_000L + sequence * 1000, sequence, 20 + random.nextInt(81), -40 - random.nextInt(50),
                15 + random.nextDouble() * 15, 30 + random.nextDouble() * 40, STATUSES[random.nextInt(STATUSES.length)],
                random.nextInt(3), 52.4 + random.nextDouble() * 0.2, 13.3 + random.nextDouble() * 0.2);
        return json.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] logLine(long sequence, Random random) {
        String service = SERVICES[random.nextInt(SERVICES.length)];
        String level = LEVELS[random.nextInt(LEVELS.length)];
        StringBuilder json = new StringBuilder(1600);
        json.append("{\"@timestamp\":\"2026-11-25T06:").append(String.format("%02d:%02d.%03d", sequence / 60 % 60, sequence % 60, random.nextInt(1000)))
                .append("Z\",\"level\":\"").append(level)
                .append("\",\"service\":\"").append(service)
                .append("\",\"host\":\"").append(service).append("-").append(random.nextInt(8)).append(".prod.eu-central-1.internal")
                .append("\",\"logger\":\"com.example.").append(service).append(".web.RequestHandler")
                .append("\",\"thread\":\"http-nio-8080-exec-").append(random.nextInt(200))
                .append("\",\"traceId\":\"").append(Long.toHexString(random.nextLong())).append(Long.toHexString(random.nextLong()))
                .append("\",\"spanId\":\"").append(Long.toHexString(random.nextLong()))
                .append("\",\"message\":\"").append(MESSAGES[random.nextInt(MESSAGES.length)])
                .append("\",\"http\":{\"method\":\"POST\",\"path\":\"").append(PATHS[random.nextInt(PATHS.length)])
                .append("\",\"status\":").append(random.nextInt(10) == 0 ? 503 : 200)
                .append(",\"durationMs\":").append(random.nextInt(900))
                .append(",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\"}")
                .append(",\"user\":{\"id\":\"u-").append(random.nextInt(100_000)).append("\",\"tenant\":\"acme-").append(random.nextInt(20))
                .append("\",\"roles\":[\"customer\",\"beta-tester\"]}")
                .append(",\"stack\":[");
        for (int frame = 0; frame < 12; frame++) {
            json.append(frame == 0 ? "" : ",").append("\"at com.example.").append(service).append(".core.Service").append(frame)
                    .append(".handle(Service").append(frame).append(".java:").append(40 + random.nextInt(400)).append(")\"");
        }
        json.append("],\"labels\":{\"env\":\"prod\",\"region\":\"eu-central-1\",\"version\":\"5.12.").append(random.nextInt(4))
                .append("\",\"commit\":\"").append(Integer.toHexString(random.nextInt())).append("\"}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
