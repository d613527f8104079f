package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AclKeyPatternsTest {

    @ParameterizedTest(name = "{0} and {1}: {2}")
    @CsvSource({
            "other:*, device:*, false",
            "device:*, device:*, true",
            "*, device:*, true",
            "device:*, *, true",
            "acl:*, acl:allowed-*, true",
            "device:*:state, device:42:*, true",
            "device:*:state, device:*:config, false",
            "dev\\*ice:*, dev*, true",
            "dev\\*ice:*, devxice:*, false",
            "device:*, device:[0-9]*, true",
            "a?c, abc, true",
            "abc, abd, false",
            "abc, abc, true",
            "abc, ab, false",
            "ab*, abc, true"})
    void twoGlobsMayMatchACommonKey(String template, String acl, boolean expected) {
        assertThat(AclKeyPatterns.mayMatch(template, acl)).isEqualTo(expected);
    }

    @Test
    void writePatternsAreReadFromAclGetuser() {
        assertThat(AclKeyPatterns.writablePatterns("~acl:allowed-* %R~ro:* %W~wo:* %RW~rw:*", false))
                .contains(List.of("acl:allowed-*", "wo:*", "rw:*"));
        assertThat(AclKeyPatterns.writablePatterns("allkeys", false)).contains(List.of("*"));
        assertThat(AclKeyPatterns.writablePatterns("", false)).contains(List.of());
        assertThat(AclKeyPatterns.writablePatterns("~a:*", true)).as("selectors add rules we do not read").isEmpty();
    }
}
