# tap-failures.awk - prints each failing test of a TAP log: its name, where it is, and the
# first lines of its error. node's TAP puts the error in a YAML block after "not ok"; cmocka's
# in "# " lines after it. A suite that failed only because a subtest did is not printed (the
# subtest is). Used by tests/run.sh so that a failure is named in the suite's own output.
function flush(    i) {
    if (name != "" && ftype != "'subtestsFailed'" && shown < 20) {
        printf "    not ok - %s%s\n", name, (loc != "" ? "  [" loc "]" : "")
        for (i = 1; i <= nerr && i <= 8; i++)
            printf "        %s\n", err[i]
        shown++
    }
    name = ""; loc = ""; ftype = ""; nerr = 0; inerr = 0
}
/^[ \t]*not ok [0-9]+/ {
    flush()
    name = $0
    sub(/^[ \t]*not ok [0-9]+( - )?/, "", name)
    indent = match($0, /[^ \t]/) - 1
    next
}
name != "" {
    line = $0
    sub(/^[ \t]+/, "", line)
    if (line == "...") { flush(); next }
    if ($0 ~ /^# / && indent == 0) {             # cmocka
        if (line !~ /^# not ok - /) err[++nerr] = substr(line, 3)
        next
    }
    if (line ~ /^location: /) { loc = substr(line, 11); gsub(/'/, "", loc); inerr = 0; next }
    if (line ~ /^failureType: /) { ftype = substr(line, 14); inerr = 0; next }
    if (line ~ /^error: /) {
        e = substr(line, 8)
        if (e ~ /^[|>]-?$/) inerr = 1
        else { err[++nerr] = e; inerr = 0 }
        next
    }
    if (inerr && (line == "" || match($0, /[^ \t]/) - 1 > indent + 2)) {
        if (line != "") err[++nerr] = line
        next
    }
    inerr = 0
    if (indent == 0 && $0 !~ /^[ \t]/ && $0 !~ /^# /) flush()
}
END {
    flush()
    if (shown >= 20) print "    (more in the log)"
}
