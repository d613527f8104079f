package io.redcompress.connect.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether an ACL user's key patterns can allow any key a key template renders: both are globs (the template's
 * variable parts as {@code *}), and the question is whether some key matches both. Character classes count as any
 * character, so the answer errs towards "may match": a validation error must be certain, never a guess.
 */
final class AclKeyPatterns {

    private AclKeyPatterns() {
    }

    /**
     * The patterns that allow writing, from the "keys" field of {@code ACL GETUSER}: {@code ~p}, {@code %W~p},
     * {@code %RW~p}, {@code allkeys}. Empty when the user's rules cannot be read this simply (selectors add rules).
     */
    static Optional<List<String>> writablePatterns(String keysField, boolean hasSelectors) {
        if (hasSelectors) {
            return Optional.empty();
        }
        List<String> patterns = new ArrayList<>();
        for (String token : keysField.trim().split("\\s+")) {
            if (token.equals("allkeys")) {
                patterns.add("*");
            } else if (token.startsWith("~")) {
                patterns.add(token.substring(1));
            } else if (token.startsWith("%")) {
                int tilde = token.indexOf('~');
                if (tilde > 0 && token.substring(1, tilde).toUpperCase(java.util.Locale.ROOT).contains("W")) {
                    patterns.add(token.substring(tilde + 1));
                }
            }
        }
        return Optional.of(patterns);
    }

    /** A glob token: a literal character, one character of any kind, or any run of characters. */
    private record Token(char literal, boolean anyOne, boolean anyRun) {
    }

    private static List<Token> tokens(String glob) {
        List<Token> tokens = new ArrayList<>();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '\\' && i + 1 < glob.length()) {
                tokens.add(new Token(glob.charAt(++i), false, false));
            } else if (c == '*') {
                tokens.add(new Token('*', false, true));
            } else if (c == '?') {
                tokens.add(new Token('?', true, false));
            } else if (c == '[') {
                int close = glob.indexOf(']', i + 2);
                tokens.add(new Token('[', true, false));
                i = close < 0 ? glob.length() : close;
            } else {
                tokens.add(new Token(c, false, false));
            }
        }
        return tokens;
    }

    /** True when some string matches both globs. */
    static boolean mayMatch(String glob, String otherGlob) {
        List<Token> a = tokens(glob);
        List<Token> b = tokens(otherGlob);
        Boolean[][] memo = new Boolean[a.size() + 1][b.size() + 1];
        return intersect(a, 0, b, 0, memo);
    }

    private static boolean intersect(List<Token> a, int i, List<Token> b, int j, Boolean[][] memo) {
        if (memo[i][j] != null) {
            return memo[i][j];
        }
        boolean result;
        if (i == a.size() && j == b.size()) {
            result = true;
        } else if (i < a.size() && a.get(i).anyRun()) {
            // the run is empty, or it takes one more character of whatever b matches next
            result = intersect(a, i + 1, b, j, memo) || (j < b.size() && intersect(a, i, b, j + 1, memo));
        } else if (j < b.size() && b.get(j).anyRun()) {
            result = intersect(a, i, b, j + 1, memo) || (i < a.size() && intersect(a, i + 1, b, j, memo));
        } else if (i < a.size() && j < b.size()) {
            Token x = a.get(i);
            Token y = b.get(j);
            result = (x.anyOne() || y.anyOne() || x.literal() == y.literal()) && intersect(a, i + 1, b, j + 1, memo);
        } else {
            result = false;
        }
        memo[i][j] = result;
        return result;
    }
}
