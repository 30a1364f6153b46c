package registry_test

import (
	"testing"

	"github.com/segl/segl/internal/registry"
)

func TestMaySignFor(t *testing.T) {
	roles := []registry.Role{
		{PID: "21909825250", Code: registry.RoleGeneralManager},
		{PID: "03896127682", Code: registry.RoleSignature},
		{PID: "06927433549", Code: registry.RoleProcuration},
		{PID: "16926205815", Code: registry.RoleBoardChair},
		{PID: "13917125346", Code: registry.RoleBoardMember},
	}
	tests := []struct {
		name  string
		roles []registry.Role
		pid   string
		want  bool
	}{
		{"ok/general-manager", roles, "21909825250", true},
		{"ok/signature-right", roles, "03896127682", true},
		{"fail/procuration-only", roles, "06927433549", false},
		{"fail/board-chair-without-signature-right", roles, "16926205815", false},
		{"fail/board-member", roles, "13917125346", false},
		{"fail/no-role", roles, "02859824113", false},
		{"fail/empty-pid", append(roles, registry.Role{Code: registry.RoleSignature}), "", false},
		{"fail/no-roles", nil, "21909825250", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.MaySignFor(tt.roles, tt.pid); got != tt.want {
				t.Errorf("MaySignFor(%s) = %v, want %v", tt.pid, got, tt.want)
			}
		})
	}
}

func TestNotifiable(t *testing.T) {
	tests := []struct {
		name string
		c    registry.Contact
		want bool
	}{
		{"ok/active-email", registry.Contact{Status: registry.StatusActive, Email: "a@example.test"}, true},
		{"ok/active-mobile", registry.Contact{Status: registry.StatusActive, Mobile: "+4799999999"}, true},
		{"fail/reserved", registry.Contact{Status: registry.StatusActive, Reserved: true, Email: "a@example.test"}, false},
		{"fail/no-contact", registry.Contact{Status: registry.StatusActive}, false},
		{"fail/inactive", registry.Contact{Status: registry.StatusInactive, Email: "a@example.test"}, false},
		{"fail/not-registered", registry.Contact{Status: registry.StatusNotRegistered}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Notifiable(); got != tt.want {
				t.Errorf("Notifiable() = %v, want %v", got, tt.want)
			}
		})
	}
}
