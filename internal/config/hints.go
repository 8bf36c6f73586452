package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// inlineSecretHints answers the secret keys people try to write inline.
var inlineSecretHints = map[string]string{
	"zenlayer.access_key_secret": "use access_key_secret_file or ZENLAYER_ACCESS_KEY_SECRET",
	"zenlayer.token":             "use token_file or ZENLAYER_TOKEN",
	"notify.webhook_url":         "use webhook_url_file",
	"state.postgres.dsn":         "use dsn_file (the connection string usually holds a password)",
}

// unknownKey explains an unknown key, with a hint or a close known key when there is one.
func unknownKey(path, name string, fields map[string]int) string {
	if hint, ok := inlineSecretHints[path]; ok {
		return "unknown key: secrets cannot be written in the config; " + hint
	}
	best, bestDist := "", 3
	if len(name) > 64 {
		return "unknown key"
	}
	for known := range fields {
		if dist := editDistance(name, known); dist < bestDist || dist == bestDist && known < best {
			best, bestDist = known, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key; did you mean %q?", best)
	}
	return "unknown key"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describe names what a node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		v := n.Value
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		if n.ShortTag() == "!!str" {
			return strconv.Quote(v)
		}
		return v
	}
	return "an alias"
}
