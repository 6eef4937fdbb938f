package env

import (
	"bytes"
	"unicode"
)

// errorLine returns the 1-based line of the first place where godotenv
// (v1.5.1) fails to parse data: the character that cannot start or
// continue a variable name, or the opening quote of a quoted value that is
// never closed. It walks the file once, statement by statement, the way
// godotenv's parseBytes does, but keeps offsets instead of building
// values, so a bad line costs one pass over the file whatever its size.
// It returns 0 when it finds no error (godotenv and this walk disagree).
func errorLine(data []byte) int {
	src := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	line := func(rest []byte) int {
		return 1 + bytes.Count(src[:len(src)-len(rest)], []byte("\n"))
	}
	rest := src
	for {
		rest = statementStart(rest)
		if rest == nil {
			return 0
		}
		// locateKeyName
		rest = bytes.TrimLeftFunc(rest, isSpace)
		if trimmed, ok := bytes.CutPrefix(rest, []byte("export")); ok && bytes.IndexFunc(trimmed, isSpace) == 0 {
			rest = bytes.TrimLeftFunc(trimmed, isSpace)
		}
		if len(rest) == 0 {
			return line(rest) // "export" and nothing after it
		}
		offset := 0
	key:
		for i, c := range rest {
			r := rune(c) // godotenv looks at bytes, not runes
			switch {
			case isSpace(r), c == '_':
			case c == '=' || c == ':':
				offset = i + 1
				break key
			case unicode.IsLetter(r) || unicode.IsNumber(r) || c == '.':
			default:
				return line(rest[i:])
			}
		}
		rest = bytes.TrimLeftFunc(rest[offset:], isSpace)
		// extractVarValue
		if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
			end := closingQuote(rest)
			if end < 0 {
				return line(rest)
			}
			rest = rest[end+1:]
			continue
		}
		eol := bytes.IndexAny(rest, "\n\r")
		if eol < 0 {
			return 0
		}
		rest = rest[eol:]
	}
}

// statementStart skips white space and comment lines, as godotenv's
// getStatementStart does; nil at the end of the input.
func statementStart(src []byte) []byte {
	for {
		pos := bytes.IndexFunc(src, func(r rune) bool { return !unicode.IsSpace(r) })
		if pos < 0 {
			return nil
		}
		src = src[pos:]
		if src[0] != '#' {
			return src
		}
		pos = bytes.IndexByte(src, '\n')
		if pos < 0 {
			return nil
		}
		src = src[pos:]
	}
}

// closingQuote returns the index of the quote that closes the quoted value
// at the start of src (a quote not preceded by a backslash), or -1.
func closingQuote(src []byte) int {
	q := src[0]
	for i := 1; i < len(src); i++ {
		if src[i] == q && src[i-1] != '\\' {
			return i
		}
	}
	return -1
}

// isSpace is godotenv's: white space that is not a line break.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}
