package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RedisServerProcessTest {

    @Test
    void startsOnAnEphemeralPortAndServesCommands() {
        Path dir;
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            dir = redis.dir();
            assertThat(redis.port()).isPositive().isNotEqualTo(6379);
            assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(redis.versionString()).matches("\\d+\\.\\d+\\.\\d+");
            assertThat(client.infoMap("server")).containsEntry("process_id", Long.toString(redis.pid()));

            byte[] binary = {0, (byte) 0xff, '\r', '\n', 42};
            client.set("bin", binary);
            client.set("text", "héllo");
            assertThat(client.get("bin")).isEqualTo(binary);
            assertThat(client.getString("text")).isEqualTo("héllo");
            assertThat(client.get("missing")).isNull();
            assertThat(client.keys("*")).containsExactly("bin", "text");
            assertThat(client.dbsize()).isEqualTo(2);
            assertThat(client.command("INCR", "counter")).isEqualTo(1L);
            assertThat((List<?>) client.command("MGET", "text", "missing"))
                    .satisfiesExactly(
                            v -> assertThat((byte[]) v).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8)),
                            v -> assertThat(v).isNull());
            assertThat(client.usedMemory()).isPositive();

            assertThatThrownBy(() -> client.command("LPUSH", "text", "x"))
                    .isInstanceOfSatisfying(RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("WRONGTYPE"));
            // the connection is still usable after an error reply
            client.configSet("maxmemory-policy", "noeviction");
            assertThat(client.configGet("maxmemory-policy")).isEqualTo("noeviction");
            client.flushAll();
            assertThat(client.dbsize()).isZero();
        }
        assertThat(dir).doesNotExist();
    }

    @Test
    void killAndRestartWithAppendOnlyKeepsAcknowledgedWrites() {
        try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly().password("s3cret").start()) {
            int port = redis.port();
            try (RespClient client = redis.client()) {
                for (int i = 0; i < 100; i++) {
                    client.set("k" + i, "v" + i);
                }
            }
            long oldPid = redis.pid();
            redis.kill();
            assertThat(redis.isRunning()).isFalse();
            assertThatThrownBy(() -> RespClient.connect(redis.host(), port, Duration.ofMillis(500)).ping())
                    .isInstanceOf(UncheckedIOException.class);

            redis.restart();
            assertThat(redis.port()).isEqualTo(port);
            assertThat(redis.pid()).isNotEqualTo(oldPid);
            try (RespClient client = redis.client()) {
                assertThat(client.dbsize()).isEqualTo(100);
                assertThat(client.getString("k99")).isEqualTo("v99");
            }
            try (RespClient anonymous = RespClient.connect(redis.host(), port)) {
                assertThatThrownBy(anonymous::dbsize)
                        .isInstanceOfSatisfying(RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("NOAUTH"));
            }

            // graceful stop + restart keeps data too
            redis.stop();
            redis.restart();
            try (RespClient client = redis.client()) {
                assertThat(client.getString("k0")).isEqualTo("v0");
            }
        }
    }

    @Test
    void bundledBinaryCanBeForced() {
        try (RedisServerProcess redis = RedisServerProcess.builder()
                .binary(RedisServerProcess.BinarySource.BUNDLED)
                .maxMemory("2mb", "noeviction")
                .start();
             RespClient client = redis.client()) {
            assertThat(redis.binary().source()).isEqualTo(RedisServerProcess.BinarySource.BUNDLED);
            assertThat(redis.versionString()).startsWith("6.2.");
            assertThat(client.infoMap("server")).containsEntry("redis_version", redis.versionString());
            client.set("k", "v");
            assertThat(client.getString("k")).isEqualTo("v");
            assertThat(client.configGet("maxmemory")).isEqualTo(Long.toString(2 * 1024 * 1024));

            byte[] big = new byte[512 * 1024];
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10; i++) {
                    client.set("big" + i, big);
                }
            }).isInstanceOfSatisfying(RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("OOM"));
        }
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.SECONDS)
    void suspendedServerTimesOutUntilResumed() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            redis.suspend();
            try (RespClient client = RespClient.connect(redis.host(), redis.port(), Duration.ofMillis(300))) {
                // the kernel accepts the connection, but nobody answers
                assertThatThrownBy(client::ping).isInstanceOf(UncheckedIOException.class);
            } finally {
                redis.resume();
            }
            try (RespClient client = redis.client()) {
                assertThat(client.ping()).isEqualTo("PONG");
            }
            // close() resumes a suspended server before shutting it down
            redis.suspend();
        }
    }

    @Test
    void startupFailureReportsTheLogTail() {
        assertThatThrownBy(() -> RedisServerProcess.builder().config("no-such-directive", "1").start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("no-such-directive");
    }

    @Test
    void fixedPortInUseFailsFastWithTheBindError() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            assertThatThrownBy(() -> RedisServerProcess.builder().port(taken.getLocalPort()).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Address already in use");
        }
    }

    @Test
    void scanFindsKeysByPattern() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            for (int i = 0; i < 2500; i++) {
                client.set((i % 2 == 0 ? "even:" : "odd:") + i, "x");
            }
            List<String> even = client.keys("even:*");
            assertThat(even).hasSize(1250).allMatch(k -> k.startsWith("even:"));
            assertThat(client.info("keyspace")).contains("keys=2500");
            assertThat(Files.exists(redis.logFile())).isTrue();
        }
    }
}
