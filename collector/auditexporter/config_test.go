package auditexporter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/agent-os-otel/agent-os-otel/collector/auditexporter/internal/metadata"
)

func TestCreateDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Empty(t, cfg.Path)
	assert.Equal(t, int64(100), cfg.MaxSizeMB)
	assert.Equal(t, int64(100<<20), cfg.maxSize())
	require.True(t, cfg.QueueConfig.HasValue())
	assert.Equal(t, 1, cfg.QueueConfig.Get().NumConsumers)
	assert.True(t, cfg.RetryConfig.Enabled)
}

func TestLoadConfig(t *testing.T) {
	t.Setenv("AGENTOS_AUDIT_KEY", "k")
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	minimal := createDefaultConfig().(*Config)
	minimal.Path = "/var/log/agentos/audit.jsonl"
	minimal.KeyFile = "testdata/vectors/key.txt"

	full := createDefaultConfig().(*Config)
	full.Path = "/var/log/agentos/audit.jsonl"
	full.KeyEnv = "AGENTOS_AUDIT_KEY"
	full.MaxSizeMB = 10
	queue := full.QueueConfig.Get()
	queue.QueueSize = 5000
	queue.BlockOnOverflow = true
	storage := component.MustNewIDWithName("file_storage", "audit")
	queue.StorageID = &storage
	full.RetryConfig.InitialInterval = time.Second
	full.RetryConfig.MaxElapsedTime = 0

	tiny := createDefaultConfig().(*Config)
	tiny.Path = "/tmp/audit.jsonl"
	tiny.KeyFile = "testdata/vectors/key.txt"
	tiny.MaxSizeBytes = 4096

	tests := []struct {
		name    string
		want    *Config
		wantErr string
	}{
		{name: "", want: minimal},
		{name: "full", want: full},
		{name: "tiny", want: tiny},
		{name: "two_consumers", wantErr: "sending_queue::num_consumers is 2: it must be 1"},
	}
	for _, tt := range tests {
		id := component.NewIDWithName(metadata.Type, tt.name)
		t.Run(id.String(), func(t *testing.T) {
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, sub.Unmarshal(cfg))
			if tt.wantErr != "" {
				assert.ErrorContains(t, confmap.Validate(cfg), tt.wantErr)
				return
			}
			assert.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
	assert.Equal(t, int64(4096), tiny.maxSize())
}

func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	require.NoError(t, os.WriteFile(keyFile, []byte("secret\n"), 0o600))
	emptyKey := filepath.Join(dir, "empty.txt")
	require.NoError(t, os.WriteFile(emptyKey, []byte(" \n"), 0o600))
	t.Setenv("EMPTY_AUDIT_KEY", "")

	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"missing path", func(c *Config) { c.Path = "" },
			"path is required: set exporters.agentos_audit.path to the audit file"},
		{"both keys", func(c *Config) { c.KeyEnv = "AUDIT_KEY" },
			"key_file and key_env are both set: set exactly one of them"},
		{"no key", func(c *Config) { c.KeyFile = "" },
			"no signing key: set key_file (a file holding the HMAC key) or key_env (an environment variable holding it)"},
		{"unreadable key file", func(c *Config) { c.KeyFile = filepath.Join(dir, "missing.txt") },
			`key_file "` + filepath.Join(dir, "missing.txt") + `" cannot be read`},
		{"empty key file", func(c *Config) { c.KeyFile = emptyKey },
			`key_file "` + emptyKey + `" is empty`},
		{"unset key env", func(c *Config) { c.KeyFile, c.KeyEnv = "", "UNSET_AUDIT_KEY_FOR_TEST" },
			`key_env "UNSET_AUDIT_KEY_FOR_TEST": the environment variable is unset or empty`},
		{"empty key env", func(c *Config) { c.KeyFile, c.KeyEnv = "", "EMPTY_AUDIT_KEY" },
			`key_env "EMPTY_AUDIT_KEY": the environment variable is unset or empty`},
		{"negative max_size_mb", func(c *Config) { c.MaxSizeMB = -1 },
			"max_size_mb is -1: it must be 0 (no rotation) or positive"},
		{"negative max_size_bytes", func(c *Config) { c.MaxSizeBytes = -5 },
			"max_size_bytes is -5: it must be 0 (use max_size_mb) or positive"},
		{"several consumers", func(c *Config) { c.QueueConfig.Get().NumConsumers = 4 },
			"sending_queue::num_consumers is 4: it must be 1, because the audit chain is written in order by a single consumer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Path = filepath.Join(dir, "audit.jsonl")
			cfg.KeyFile = keyFile
			require.NoError(t, cfg.Validate())
			tt.modify(cfg)
			assert.ErrorContains(t, cfg.Validate(), tt.want)
		})
	}
}
