package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;

class ReplyClassifierTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "OOM command not allowed when used memory > 'maxmemory'.",
            "LOADING Redis is loading the dataset in memory",
            "READONLY You can't write against a read only replica.",
            "MASTERDOWN Link with MASTER is down",
            "BUSY Redis is busy running a script",
            "TRYAGAIN Multiple keys request during rehashing of slot",
            "CLUSTERDOWN The cluster is down",
            "MOVED 3999 127.0.0.1:6381",
            "NOAUTH Authentication required.",
            "ERR max number of clients reached",
            "SOMETHINGNEW we have never seen"})
    void serverStateErrorsAreTransient(String reply) {
        assertThat(ReplyClassifier.classify(new RedisCommandExecutionException(reply))).isEqualTo(FailureKind.TRANSIENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            "NOPERM this user has no permissions to access one of the keys used as arguments",
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            "ERR Protocol error: invalid bulk length",
            "ERR invalid expire time in 'set' command"})
    void errorsAboutTheRecordArePermanent(String reply) {
        assertThat(ReplyClassifier.classify(new RedisCommandExecutionException(reply))).isEqualTo(FailureKind.PERMANENT);
    }

    @org.junit.jupiter.api.Test
    void connectionProblemsAreTransient() {
        assertThat(ReplyClassifier.classify(new RedisCommandTimeoutException("Command timed out after 1 second(s)")))
                .isEqualTo(FailureKind.TRANSIENT);
        assertThat(ReplyClassifier.classify(new RedisConnectionException("Unable to connect"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(ReplyClassifier.classify(new RedisException("Currently not connected. Commands are rejected.")))
                .isEqualTo(FailureKind.TRANSIENT);
    }
}
