package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CuttingProxyTest {

    @Test
    void forwardsUntilArmedThenCutsAfterRedisExecutedTheRequest() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient direct = redis.client();
             CuttingProxy proxy = CuttingProxy.to(redis.port());
             RespClient proxied = RespClient.connect("127.0.0.1", proxy.port())) {
            proxied.set("k", "v");
            assertThat(proxied.getString("k")).isEqualTo("v");

            proxy.cutAfterNextRequest("INCR");
            // requests without the command go through while it is armed
            assertThat(proxied.getString("k")).isEqualTo("v");
            assertThatThrownBy(() -> proxied.command("INCR", "counter")).isInstanceOf(UncheckedIOException.class);
            assertThat(proxy.awaitCut(Duration.ofSeconds(30))).isTrue();
            assertThat(proxy.cuts()).isEqualTo(1);
            // the reply was lost, the increment was not
            assertThat(direct.getString("counter")).isEqualTo("1");

            try (RespClient again = RespClient.connect("127.0.0.1", proxy.port())) {
                assertThat(again.command("INCR", "counter")).isEqualTo(2L);
            }
        }
    }

    @Test
    void anArmedProxyThatSeesNoSuchRequestGivesUp() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             CuttingProxy proxy = CuttingProxy.to(redis.port());
             RespClient proxied = RespClient.connect("127.0.0.1", proxy.port())) {
            proxy.cutAfterNextRequest("INCR");
            assertThat(proxy.awaitCut(Duration.ofMillis(200))).isFalse();
            assertThat(proxied.ping()).isEqualTo("PONG");
            assertThat(proxy.cuts()).isZero();
        }
    }
}
