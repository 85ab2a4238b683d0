package dev.agt.bench.evaluation;

/** The three file reads every engine is timed on, and what each must answer. */
public enum RequestKind {
    /** Inside the workspace: allowed by the workspace rule. */
    ALLOWED("/srv/agent/work/src/main/java/App.java", true),
    /** An SSH key: denied by an explicit rule. */
    DENIED("/home/u/.ssh/id_rsa", false),
    /** Matched by no rule at all: the default denial, which has to look at everything. */
    DEFAULT_DENY("/etc/shadow", false);

    final String path;
    final boolean allowed;

    RequestKind(String path, boolean allowed) {
        this.path = path;
        this.allowed = allowed;
    }
}
