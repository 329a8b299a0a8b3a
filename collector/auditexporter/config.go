package auditexporter // import "github.com/agent-os-otel/agent-os-otel/collector/auditexporter"

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config defines the configuration of the agentos_audit exporter.
type Config struct {
	// Path is the active audit file; rotated files are written next to it.
	Path string `mapstructure:"path"`

	// KeyFile is a file holding the HMAC-SHA256 signing key (trailing whitespace is ignored).
	KeyFile string `mapstructure:"key_file"`
	// KeyEnv is an environment variable holding the signing key. Exactly one of KeyFile and KeyEnv is set.
	KeyEnv string `mapstructure:"key_env"`

	// MaxSizeMB rotates the active file before it would grow past this many MiB; 0 disables rotation.
	MaxSizeMB int64 `mapstructure:"max_size_mb"`
	// MaxSizeBytes, when positive, replaces MaxSizeMB with a limit in bytes (meant for tests).
	MaxSizeBytes int64 `mapstructure:"max_size_bytes"`

	// QueueConfig must keep num_consumers at 1: the chain is written in the order records leave the queue.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration, including that the signing key can be read. Whether the
// audit directory is writable is checked when the exporter starts.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Path == "" {
		errs = append(errs, errors.New("path is required: set exporters.agentos_audit.path to the audit file"))
	}
	if _, err := cfg.loadKey(); err != nil {
		errs = append(errs, err)
	}
	if cfg.MaxSizeMB < 0 {
		errs = append(errs, fmt.Errorf("max_size_mb is %d: it must be 0 (no rotation) or positive", cfg.MaxSizeMB))
	}
	if cfg.MaxSizeBytes < 0 {
		errs = append(errs, fmt.Errorf("max_size_bytes is %d: it must be 0 (use max_size_mb) or positive", cfg.MaxSizeBytes))
	}
	if q := cfg.QueueConfig.Get(); q != nil && q.NumConsumers > 1 {
		errs = append(errs, fmt.Errorf("sending_queue::num_consumers is %d: it must be 1, because the audit chain "+
			"is written in order by a single consumer", q.NumConsumers))
	}
	return errors.Join(errs...)
}

// maxSize is the rotation threshold in bytes; 0 means never rotate.
func (cfg *Config) maxSize() int64 {
	if cfg.MaxSizeBytes > 0 {
		return cfg.MaxSizeBytes
	}
	return cfg.MaxSizeMB << 20
}

// loadKey returns the HMAC key: the bytes of key_file or key_env with trailing whitespace removed.
func (cfg *Config) loadKey() ([]byte, error) {
	switch {
	case cfg.KeyFile != "" && cfg.KeyEnv != "":
		return nil, errors.New("key_file and key_env are both set: set exactly one of them")
	case cfg.KeyFile != "":
		raw, err := os.ReadFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("key_file %q cannot be read: %w", cfg.KeyFile, err)
		}
		key := bytes.TrimRight(raw, " \t\r\n")
		if len(key) == 0 {
			return nil, fmt.Errorf("key_file %q is empty: put the HMAC signing key in it", cfg.KeyFile)
		}
		return key, nil
	case cfg.KeyEnv != "":
		key := bytes.TrimRight([]byte(os.Getenv(cfg.KeyEnv)), " \t\r\n")
		if len(key) == 0 {
			return nil, fmt.Errorf("key_env %q: the environment variable is unset or empty; set it to the HMAC signing key", cfg.KeyEnv)
		}
		return key, nil
	default:
		return nil, errors.New("no signing key: set key_file (a file holding the HMAC key) or key_env (an environment variable holding it)")
	}
}
