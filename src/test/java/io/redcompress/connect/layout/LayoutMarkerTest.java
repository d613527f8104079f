package io.redcompress.connect.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class LayoutMarkerTest {

    @Test
    void aMarkerIsOneDocumentedLine() {
        assertThat(LayoutMarker.of(4167).format())
                .isEqualTo("layout=buckets version=1 hash=crc32-ieee count=4167 field=logical-key");
        assertThat(LayoutMarker.of(4167).migratingTo(9000, 1764547200000L).format())
                .isEqualTo("layout=buckets version=1 hash=crc32-ieee count=9000 field=logical-key previous=4167 since=1764547200000");
    }

    @Test
    void parsingGivesBackWhatWasFormatted() {
        LayoutMarker marker = LayoutMarker.of(10).migratingTo(20, 123);
        assertThat(LayoutMarker.parse(marker.bytes())).isEqualTo(marker);
        assertThat(LayoutMarker.parse(marker.bytes()).migrating()).isTrue();
        assertThat(LayoutMarker.parse(marker.migrated().bytes())).isEqualTo(LayoutMarker.of(20));
        assertThat(LayoutMarker.of(20).understood()).isTrue();
    }

    @Test
    void aNewerVersionOrAnotherHashIsParsedButNotUnderstood() {
        LayoutMarker newer = LayoutMarker.parse(bytes("layout=buckets version=2 hash=crc32-ieee count=5 field=logical-key extra=1"));
        assertThat(newer.version()).isEqualTo(2);
        assertThat(newer.understood()).isFalse();
        assertThat(LayoutMarker.parse(bytes("layout=buckets version=1 hash=xxh64 count=5 field=logical-key")).understood()).isFalse();
    }

    @Test
    void anythingElseIsRefusedQuotingIt() {
        assertThatThrownBy(() -> LayoutMarker.parse(bytes("hello"))).hasMessageContaining("'hello' is not a bucket layout marker");
        assertThatThrownBy(() -> LayoutMarker.parse(bytes("layout=keys version=1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LayoutMarker.parse(bytes("layout=buckets version=1 hash=crc32-ieee field=logical-key")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LayoutMarker.parse(bytes("layout=buckets version=x hash=crc32-ieee count=1 field=logical-key")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LayoutMarker.parse(bytes("layout=buckets version=1 hash=crc32-ieee count=0 field=logical-key")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
