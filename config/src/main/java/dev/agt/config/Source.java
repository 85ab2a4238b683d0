package dev.agt.config;

/** Names a place in a policy, rules or test file. */
public final class Source {
    private Source() {
    }

    /** A 1-based line and column in a named file. */
    public record Pos(String file, int line, int column) implements Comparable<Pos> {
        @Override
        public int compareTo(Pos o) {
            int c = file.compareTo(o.file);
            if (c == 0) {
                c = Integer.compare(line, o.line);
            }
            return c == 0 ? Integer.compare(column, o.column) : c;
        }

        @Override
        public String toString() {
            return file + ":" + line + ":" + column;
        }
    }
}
