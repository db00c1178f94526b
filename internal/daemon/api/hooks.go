package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// maxDeliveriesListed bounds the delivery log answered by the API.
const maxDeliveriesListed = 100

// maxSecretLength bounds a caller-chosen webhook secret.
const maxSecretLength = 256

// registerHooks adds the webhook routes of organisations and repositories.
func (a *API) registerHooks(mux *http.ServeMux) {
	for _, base := range []string{"/api/v1/orgs/{org}/hooks", "/api/v1/repos/{org}/{repo}/hooks"} {
		mux.HandleFunc("GET "+base, a.listHooks)
		mux.HandleFunc("POST "+base, a.createHook)
		mux.HandleFunc("GET "+base+"/{id}", a.getHook)
		mux.HandleFunc("DELETE "+base+"/{id}", a.deleteHook)
		mux.HandleFunc("GET "+base+"/{id}/deliveries", a.listDeliveries)
		mux.HandleFunc("POST "+base+"/{id}/deliveries/{delivery}/redeliver", a.redeliver)
		mux.HandleFunc("POST "+base+"/{id}/ping", a.pingHook)
	}
}

// authorizeHooks checks that p may manage the webhooks of org (repo "")
// or of repository org/repo: org owners (and site admins) for org hooks,
// repository admins, org owners and site admins for repository hooks.
// Invisible owners answer 404 like every route.
func authorizeHooks(tx store.Tx, p ecosystems.Principal, org, repo string) error {
	if repo == "" {
		return ecosystems.AuthorizeOrg(tx, p, ecosystems.Admin, org)
	}
	return ecosystems.AuthorizeRepo(tx, p, ecosystems.Admin, org, repo)
}

func hookOut(h webhooks.Hook) client.Hook {
	return client.Hook{ID: h.ID, Org: h.Org, Repository: h.Repo, URL: h.URL, Events: h.Events, Creator: h.Creator, Created: h.Created}
}

func deliveryOut(d webhooks.Delivery) client.Delivery {
	return client.Delivery{ID: d.ID, HookID: d.HookID, Event: d.Event, Package: d.Package, Version: d.Version,
		Status: d.Status, Attempts: d.Attempts, ResponseCode: d.ResponseCode, ResponseExcerpt: d.ResponseExcerpt,
		Error: d.Error, Created: d.Created, LastAttempt: d.LastAttempt, NextAttempt: d.NextAttempt}
}

// hookOp runs fn for the caller after authorizing hook management on the
// route's org or repository, in a write transaction when write is set.
func (a *API) hookOp(r *http.Request, write bool, fn func(tx store.Tx, p ecosystems.Principal, org, repo string) error) error {
	if a.Webhooks == nil {
		return fmt.Errorf("webhooks are not enabled on this server: %w", store.ErrNotFound)
	}
	p, err := principal(r)
	if err != nil {
		return err
	}
	org, repo := r.PathValue("org"), r.PathValue("repo")
	run := a.index().View
	if write {
		run = a.index().Update
	}
	return run(r.Context(), func(tx store.Tx) error {
		if err := authorizeHooks(tx, p, org, repo); err != nil {
			return err
		}
		return fn(tx, p, org, repo)
	})
}

func (a *API) listHooks(w http.ResponseWriter, r *http.Request) {
	var out []client.Hook
	err := a.hookOp(r, false, func(tx store.Tx, _ ecosystems.Principal, org, repo string) error {
		hs, err := webhooks.ListHooks(tx, org, repo)
		for _, h := range hs {
			out = append(out, hookOut(h))
		}
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, nonNil(out))
}

func (a *API) createHook(w http.ResponseWriter, r *http.Request) {
	var in client.CreateHook
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	events, err := webhooks.ParseEvents(in.Events)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	if len(in.Secret) > maxSecretLength {
		a.WriteError(w, r, fmt.Errorf("%w: a webhook secret may have at most %d bytes", store.ErrInvalid, maxSecretLength))
		return
	}
	// Authorize before resolving the URL, so that callers who may not
	// manage hooks here cannot use the server to probe host names.
	if err := a.hookOp(r, false, func(store.Tx, ecosystems.Principal, string, string) error { return nil }); err != nil {
		a.WriteError(w, r, err)
		return
	}
	target, err := a.Webhooks.ValidateURL(r.Context(), in.URL)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	secret := in.Secret
	if secret == "" {
		secret = webhooks.NewSecret()
	}
	var out client.Hook
	err = a.hookOp(r, true, func(tx store.Tx, p ecosystems.Principal, org, repo string) error {
		h, err := webhooks.CreateHook(tx, webhooks.Hook{Org: org, Repo: repo, URL: target, Events: events,
			Secret: secret, Creator: p.User}, time.Now())
		out = hookOut(h)
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	out.Secret = secret
	WriteJSON(w, http.StatusCreated, out)
}

func (a *API) getHook(w http.ResponseWriter, r *http.Request) {
	var out client.Hook
	err := a.hookOp(r, false, func(tx store.Tx, _ ecosystems.Principal, org, repo string) error {
		h, err := webhooks.GetHook(tx, org, repo, r.PathValue("id"))
		out = hookOut(h)
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (a *API) deleteHook(w http.ResponseWriter, r *http.Request) {
	err := a.hookOp(r, true, func(tx store.Tx, _ ecosystems.Principal, org, repo string) error {
		return webhooks.DeleteHook(tx, org, repo, r.PathValue("id"))
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) {
	var out []client.Delivery
	err := a.hookOp(r, false, func(tx store.Tx, _ ecosystems.Principal, org, repo string) error {
		h, err := webhooks.GetHook(tx, org, repo, r.PathValue("id"))
		if err != nil {
			return err
		}
		ds, err := webhooks.ListDeliveries(tx, h.ID)
		for i, d := range ds {
			if i == maxDeliveriesListed {
				break
			}
			out = append(out, deliveryOut(d))
		}
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, nonNil(out))
}

// queueDelivery answers 202 with the delivery fn queued and wakes the
// delivery worker.
func (a *API) queueDelivery(w http.ResponseWriter, r *http.Request, fn func(tx store.Tx, p ecosystems.Principal, h webhooks.Hook) (webhooks.Delivery, error)) {
	var out client.Delivery
	err := a.hookOp(r, true, func(tx store.Tx, p ecosystems.Principal, org, repo string) error {
		h, err := webhooks.GetHook(tx, org, repo, r.PathValue("id"))
		if err != nil {
			return err
		}
		d, err := fn(tx, p, h)
		out = deliveryOut(d)
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	a.Webhooks.Notify()
	WriteJSON(w, http.StatusAccepted, out)
}

func (a *API) redeliver(w http.ResponseWriter, r *http.Request) {
	a.queueDelivery(w, r, func(tx store.Tx, _ ecosystems.Principal, h webhooks.Hook) (webhooks.Delivery, error) {
		return webhooks.Redeliver(tx, h, r.PathValue("delivery"), time.Now().UTC())
	})
}

func (a *API) pingHook(w http.ResponseWriter, r *http.Request) {
	a.queueDelivery(w, r, func(tx store.Tx, p ecosystems.Principal, h webhooks.Hook) (webhooks.Delivery, error) {
		return webhooks.Ping(tx, h, p.User, time.Now().UTC())
	})
}
