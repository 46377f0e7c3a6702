#!/bin/sh
# Check every relative link in README.md and docs/*.md: the file (or directory) must exist and
# an #anchor must name a heading of the target Markdown file, by GitHub's rules (heading text as
# rendered, lowercased, punctuation dropped, spaces to '-', repeats suffixed -1, -2, ...).
# Links inside fenced code blocks and external links (http:, https:, mailto:) are not checked.
# Usage: scripts/check-doc-links.sh [file.md ...]   (default: README.md docs/*.md)
# Exit status 1 when any link is broken; each broken link is printed as file:line: link: reason.
# Needs only perl (perl-base is part of every Debian system).
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- README.md docs/*.md
exec perl -CSD -Mutf8 -e '
use strict; use warnings;
use File::Basename qw(dirname); use File::Spec;
my %anchors;    # file -> { anchor -> 1 }
sub slug { my ($t) = @_;
    $t =~ s/<[^>]*>//g;                       # HTML tags (<br>) render as nothing
    $t =~ s/!?\[([^\]]*)\]\([^)]*\)/$1/g;     # [text](url) renders as text
    $t = lc $t;
    $t =~ s/[^\p{L}\p{M}\p{N}\p{Pc} -]//g;    # github-slugger: drop punctuation and symbols
    $t =~ s/ /-/g;
    return $t; }
sub anchors_of { my ($f) = @_;
    return $anchors{$f} if $anchors{$f};
    my (%a, %seen); my $fence = 0;
    open my $fh, "<", $f or return $anchors{$f} = {};
    while (<$fh>) {
        if (/^\s*(```|~~~)/) { $fence = !$fence; next; }
        next if $fence;
        next unless /^#{1,6}\s+(.*?)\s*#*\s*$/;
        my $s = slug($1);
        my $u = $s; $u = $s . "-" . $seen{$s} if $seen{$s};
        $seen{$s}++; $a{$u} = 1;
    }
    return $anchors{$f} = \%a; }
my ($bad, $n) = (0, 0);
for my $f (@ARGV) {
    open my $fh, "<", $f or do { print "$f: cannot read\n"; $bad++; next; };
    my $fence = 0;
    while (my $line = <$fh>) {
        if ($line =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
        next if $fence;
        (my $text = $line) =~ s/`[^`]*`//g;   # inline code is not a link
        while ($text =~ /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g) {
            my $link = $1; $n++;
            next if $link =~ m{^(?:https?|mailto):};
            my ($path, $frag) = $link =~ /^([^#]*)(?:#(.*))?$/;
            my $target = $path eq "" ? $f : File::Spec->canonpath(dirname($f) . "/" . $path);
            if (!-e $target) { print "$f:$.: $link: no such file $target\n"; $bad++; next; }
            next unless defined $frag;
            if ($target !~ /\.md$/) { print "$f:$.: $link: anchor into a non-Markdown file\n"; $bad++; next; }
            next if anchors_of($target)->{$frag};
            print "$f:$.: $link: no heading with anchor #$frag in $target\n"; $bad++;
        }
    }
}
printf "%d links checked in %d files, %d broken\n", $n, scalar @ARGV, $bad;
exit($bad ? 1 : 0);
' "$@"
