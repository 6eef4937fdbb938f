package testenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// TestPostgresPasswordRotation connects with one password, rotates it with
// ALTER ROLE, and shows that new connections need the new password: the old
// one fails with SQLSTATE 28P01 (invalid_password), while the session
// opened before the rotation keeps working.
func TestPostgresPasswordRotation(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const oldPass, newPass = "zq9canary-old'pw", "zq9canary-new\"pw"
	pg.CreateRole(t, "app", oldPass)

	query := func(pass string) (*pgx.Conn, error) {
		conn, err := pgx.Connect(ctx, pg.URL("app", pass))
		if err != nil {
			return nil, err
		}
		var one int
		if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
			conn.Close(ctx)
			return nil, errors.Join(err, errors.New("select 1 did not return 1"))
		}
		return conn, nil
	}
	before, err := query(oldPass)
	if err != nil {
		t.Fatalf("connect with the first password: %v", err)
	}
	defer before.Close(ctx)

	pg.SetPassword(t, "app", newPass)

	_, err = query(oldPass)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect with the old password after the rotation = %v, want SQLSTATE 28P01", err)
	}
	after, err := query(newPass)
	if err != nil {
		t.Fatalf("connect with the new password: %v", err)
	}
	after.Close(ctx)
	var one int
	if err := before.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		t.Errorf("the session opened before the rotation: %v", err)
	}
}

func TestPostgresExecRedacts(t *testing.T) {
	pg := testenv.StartPostgres(t)
	err := pg.Exec("ALTER ROLE no_such_role PASSWORD 'zq9canary-secret';", "zq9canary-secret")
	if err == nil {
		t.Fatal("ALTER ROLE of a missing role succeeded")
	}
	if strings.Contains(err.Error(), "zq9canary") || !strings.Contains(err.Error(), "no_such_role") {
		t.Errorf("Exec error = %v, want the role named and the password redacted", err)
	}
	pg.Stop()
	pg.Stop() // a second Stop does nothing
}
