package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import io.lettuce.core.RedisCommandExecutionException;

/**
 * How a bucket write made of two commands is answered. Redis 7.4's HPEXPIRE replies other than [1] cannot be provoked
 * on the older servers the tests may run on, so the replies are given here.
 */
class NodeLinkFieldWriteTest {

    private static Throwable failure(CompletableFuture<Object> reply) {
        assertThat(reply).isCompletedExceptionally();
        try {
            reply.join();
            throw new AssertionError("completed");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    @Test
    void aWriteIsAnsweredWithHsetsReplyOnlyWhenTheExpiryWasSet() {
        CompletableFuture<Object> hset = CompletableFuture.completedFuture(1L);
        CompletableFuture<List<Long>> expirySet = CompletableFuture.completedFuture(List.of(1L));
        assertThat(NodeLink.fieldWriteReply(List.of(hset, expirySet), hset, expirySet).join()).isEqualTo(1L);

        // -2: no such field (deleted between HSET and HPEXPIRE); 0: a condition not met; 2: deleted at once (ttl 0)
        for (List<Long> reply : List.of(List.of(-2L), List.of(0L), List.of(2L), List.<Long>of())) {
            CompletableFuture<List<Long>> expiry = CompletableFuture.completedFuture(reply);
            assertThat(failure(NodeLink.fieldWriteReply(List.of(hset, expiry), hset, expiry)))
                    .isInstanceOf(NodeLink.UnexpectedReply.class).hasMessageContaining("HPEXPIRE answered " + reply);
        }
    }

    @Test
    void anyFailedPartFailsTheWriteAndTheWriteWaitsForEveryPart() {
        CompletableFuture<Object> previousHdel = CompletableFuture.failedFuture(
                new RedisCommandExecutionException("WRONGTYPE Operation against a key holding the wrong kind of value"));
        CompletableFuture<Object> hdel = CompletableFuture.completedFuture(1L);
        assertThat(failure(NodeLink.fieldWriteReply(List.of(previousHdel, hdel), hdel, null)))
                .hasMessageStartingWith("WRONGTYPE");

        CompletableFuture<Object> pending = new CompletableFuture<>();
        CompletableFuture<Object> reply = NodeLink.fieldWriteReply(List.of(hdel, pending), hdel, null);
        assertThat(reply).isNotDone();
        pending.complete(0L);
        assertThat(reply.join()).isEqualTo(1L);
    }

    @Test
    void aLoneCommandIsAnsweredWithItsOwnReply() {
        CompletableFuture<Object> hset = new CompletableFuture<>();
        assertThat(NodeLink.fieldWriteReply(List.of(hset), hset, null)).isSameAs(hset);
    }
}
