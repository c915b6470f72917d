// Package gosdk logs in to Zerokey through the Infisical Go SDK's Kubernetes auth, the way an
// application using github.com/infisical/go-sdk would. scripts/real-clients.sh starts Zerokey and
// the Kubernetes simulator and passes what the test needs in the environment; without it the test
// fails (it is never skipped).
package gosdk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"

	infisical "github.com/infisical/go-sdk"
)

func env(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s is not set: run this test through scripts/real-clients.sh", name)
	}
	return value
}

func newClient() infisical.InfisicalClientInterface {
	refresh := false
	return infisical.NewInfisicalClient(context.Background(), infisical.Config{SiteUrl: os.Getenv("ZEROKEY_URL"), AutoTokenRefresh: &refresh, SilentMode: true})
}

// tokenSelf asks Zerokey who the bearer is (GET /api/v1/auth/token/self).
func tokenSelf(t *testing.T, accessToken string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, os.Getenv("ZEROKEY_URL")+"/api/v1/auth/token/self", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := map[string]any{}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func TestKubernetesAuthLogin(t *testing.T) {
	identityID := env(t, "ZEROKEY_IDENTITY_ID")
	tokenPath := env(t, "ZEROKEY_SA_TOKEN_PATH")
	env(t, "ZEROKEY_URL")

	credential, err := newClient().Auth().KubernetesAuthLogin(identityID, tokenPath)
	if err != nil {
		t.Fatalf("KubernetesAuthLogin: %v", err)
	}
	if credential.AccessToken == "" || credential.TokenType != "Bearer" || credential.ExpiresIn <= 0 || credential.AccessTokenMaxTTL < credential.ExpiresIn {
		t.Fatalf("unexpected credential: tokenType=%q expiresIn=%d accessTokenMaxTTL=%d", credential.TokenType, credential.ExpiresIn, credential.AccessTokenMaxTTL)
	}
	status, self := tokenSelf(t, credential.AccessToken)
	if status != http.StatusOK || self["type"] != "identity" || self["authMethod"] != "kubernetes" {
		t.Fatalf("token/self answered %d %v", status, self)
	}
	if identity, _ := self["identity"].(map[string]any); identity["id"] != identityID {
		t.Fatalf("token/self names identity %v, want %s", identity["id"], identityID)
	}
}

func TestKubernetesAuthLoginWithOrganizationSlug(t *testing.T) {
	identityID := env(t, "ZEROKEY_IDENTITY_ID")
	tokenPath := env(t, "ZEROKEY_SA_TOKEN_PATH")
	slug := env(t, "ZEROKEY_ORGANIZATION_SLUG")

	if _, err := newClient().Auth().WithOrganizationSlug(slug).KubernetesAuthLogin(identityID, tokenPath); err != nil {
		t.Fatalf("KubernetesAuthLogin with the organization's slug: %v", err)
	}
	_, err := newClient().Auth().WithOrganizationSlug("not-" + slug).KubernetesAuthLogin(identityID, tokenPath)
	var apiError *infisical.APIError
	if !errors.As(err, &apiError) || apiError.StatusCode != http.StatusNotFound || apiError.ReqId == "" {
		t.Fatalf("a wrong organization slug: want an APIError 404 with a reqId, got %#v", err)
	}
}
