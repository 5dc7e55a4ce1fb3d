package client

import "strings"

// ValidEnvKey reports whether k is a portable environment variable name:
// a letter or underscore, then letters, digits and underscores. This is
// the rule the Daytona toolbox applies, and every backend applies it too.
func ValidEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckEnv validates an environment map: every key must satisfy
// ValidEnvKey and no value may contain a NUL byte (the kernel cannot pass
// one). The error matches ErrInvalidArgument and names the variable.
func CheckEnv(op string, env map[string]string) error {
	for k, v := range env {
		if !ValidEnvKey(k) {
			return Errorf(op, ErrInvalidArgument, "invalid environment variable name: '%s'", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return Errorf(op, ErrInvalidArgument, "environment variable %s: value contains a NUL byte", k)
		}
	}
	return nil
}
