/* pi-demo.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-demo"

#include "config.h"

#include <string.h>

#include "pi-demo.h"
#include "pi-event-format.h"
#include "pi-json-util.h"

/*
 * Demo traffic: what the Taskcluster queue publishes while a few task
 * groups (pushes) run. Each task goes defined -> pending -> running ->
 * artifact-created (a few) -> completed, failed or exception, sometimes
 * with a retry run after an exception. Routing keys follow the queue's
 * exchange reference; payloads follow its message schemas; every task
 * message is CC'd to the task's routes as `route.<route>`.
 */

#define EXCHANGE_PREFIX  "exchange/taskcluster-queue/v1/"
#define GROUPS_IN_FLIGHT 3
#define TICK_MS          50

typedef struct
{
  const char *project;
  const char *scheduler_id;
  const char *provisioner_id;
} Project;

static const Project projects[] = {
  { "autoland",        "gecko-level-3", "gecko-3" },
  { "mozilla-central", "gecko-level-3", "gecko-3" },
  { "try",             "gecko-level-1", "gecko-1" },
};

typedef struct
{
  const char *kind;
  const char *label;
  const char *platform;
  const char *worker_type;
  const char *worker_group;
  const char *implementation;
} Job;

static const Job jobs[] = {
  { "build",  "build-linux64/opt",                   "linux64-opt",       "b-linux-gcp",    "us-central1-b", "docker-worker" },
  { "build",  "build-linux64/debug",                 "linux64-debug",     "b-linux-gcp",    "us-central1-c", "docker-worker" },
  { "build",  "build-win64/opt",                     "win64-opt",         "b-win2012",      "us-east-1",     "generic-worker" },
  { "build",  "build-macosx64/opt",                  "macosx64-opt",      "b-osx-1015",     "mdc1",          "generic-worker" },
  { "test",   "test-linux1804-64/opt-mochitest-1",   "linux1804-64-opt",  "t-linux-large",  "us-west1-a",    "docker-worker" },
  { "test",   "test-linux1804-64/opt-xpcshell-2",    "linux1804-64-opt",  "t-linux-large",  "us-west1-b",    "docker-worker" },
  { "test",   "test-windows10-64/opt-reftest-3",     "windows10-64-opt",  "t-win10-64",     "us-east-2",     "generic-worker" },
  { "lint",   "source-test-mozlint-eslint",          "lint",              "t-linux-xlarge", "us-central1-a", "docker-worker" },
  { "docs",   "source-test-doc-generate",            "docs",              "b-linux-gcp",    "us-central1-f", "docker-worker" },
};

static const char * const artifact_names[] = {
  "public/logs/live_backing.log",
  "public/build/target.tar.bz2",
  "public/test_info/resource-usage.json",
  "public/build/buildhub.json",
  "public/chain-of-trust.json",
};

static const char * const artifact_types[] = {
  "text/plain; charset=utf-8",
  "application/x-bzip2",
  "application/json",
  "application/json",
  "application/json",
};

typedef enum
{
  STEP_DEFINED,
  STEP_PENDING,
  STEP_RUNNING,
  STEP_ARTIFACTS,
  STEP_RESOLVE,
  STEP_DONE,
} Step;

typedef struct
{
  const char *state;
  const char *reason_created;
  const char *reason_resolved;
  char       *worker_id;      /* NULL until claimed */
  const char *worker_group;
  char       *scheduled;
  char       *started;
  char       *resolved;
  char       *taken_until;
} Run;

typedef struct _Group Group;

typedef struct
{
  Group      *group;
  const Job  *job;
  char       *task_id;
  char       *deadline;
  char       *expires;
  GArray     *runs;           /* Run */
  Step        step;
  guint       artifacts_left;
  guint       retries_left;
  guint       artifacts_sent;
} Task;

struct _Group
{
  char          *task_group_id;
  const Project *project;
  char           revision[41];
  guint          push_id;
  GPtrArray     *tasks;
  guint          unfinished;
};

struct _PiDemo
{
  GObject    parent_instance;

  PiBroker  *broker;
  GRand     *rand;
  GPtrArray *groups;         /* Group */
  GPtrArray *active;         /* Task, borrowed from groups */
  double     rate;
  double     budget;
  gint64     last_tick;
  guint      tick_source;
  guint      next_push_id;
  guint64    n_sent;
};

G_DEFINE_FINAL_TYPE (PiDemo, pi_demo, G_TYPE_OBJECT)

/* --- ids and times ---------------------------------------------------------- */

/**
 * pi_demo_new_slugid:
 *
 * A Taskcluster slug id: 16 random bytes as URL-safe base64 without
 * padding (22 characters), with the first bit cleared so the id never starts
 * with `-` (the "nice" slugids the queue issues).
 *
 * Returns: (transfer full): a new id
 */
char *
pi_demo_new_slugid (void)
{
  guint8 bytes[16];
  char *text;

  for (guint i = 0; i < sizeof bytes; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (bytes + i, &r, 4);
    }
  bytes[0] &= 0x7f;

  text = g_base64_encode (bytes, sizeof bytes);
  text[22] = '\0';
  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }

  return text;
}

static char *
iso8601_from_now (gint64 offset_seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, offset_seconds);

  return pi_event_format_time (then);
}

/* --- groups and tasks ------------------------------------------------------- */

static void
run_clear (gpointer data)
{
  Run *run = data;

  g_free (run->worker_id);
  g_free (run->scheduled);
  g_free (run->started);
  g_free (run->resolved);
  g_free (run->taken_until);
}

static void
task_free (gpointer data)
{
  Task *task = data;

  g_free (task->task_id);
  g_free (task->deadline);
  g_free (task->expires);
  g_array_unref (task->runs);
  g_free (task);
}

static void
group_free (gpointer data)
{
  Group *group = data;

  g_free (group->task_group_id);
  g_ptr_array_unref (group->tasks);
  g_free (group);
}

static void
start_group (PiDemo *self)
{
  Group *group = g_new0 (Group, 1);
  guint n_tasks = g_rand_int_range (self->rand, 6, 30);

  group->task_group_id = pi_demo_new_slugid ();
  group->project = &projects[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (projects))];
  for (guint i = 0; i < 40; i++)
    group->revision[i] = "0123456789abcdef"[g_rand_int_range (self->rand, 0, 16)];
  group->push_id = ++self->next_push_id;
  group->tasks = g_ptr_array_new_with_free_func (task_free);

  for (guint i = 0; i < n_tasks; i++)
    {
      Task *task = g_new0 (Task, 1);

      task->group = group;
      /* The decision task comes first and shares the group's id. */
      task->task_id = i == 0 ? g_strdup (group->task_group_id) : pi_demo_new_slugid ();
      task->job = &jobs[g_rand_int_range (self->rand, 0, G_N_ELEMENTS (jobs))];
      task->deadline = iso8601_from_now (24 * 3600);
      task->expires = iso8601_from_now (365 * 24 * 3600);
      task->runs = g_array_new (FALSE, TRUE, sizeof (Run));
      g_array_set_clear_func (task->runs, run_clear);
      task->retries_left = 5;
      task->step = STEP_DEFINED;
      g_ptr_array_add (group->tasks, task);
      g_ptr_array_add (self->active, task);
      group->unfinished++;
    }

  g_ptr_array_add (self->groups, group);
}

/* --- messages --------------------------------------------------------------- */

static void
append_string_member (GString    *out,
                      const char *name,
                      const char *value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  pi_json_append_string (out, value, -1);
}

static const char *
task_state (Task *task)
{
  if (task->runs->len == 0)
    return "unscheduled";
  return g_array_index (task->runs, Run, task->runs->len - 1).state;
}

static void
append_status (GString *out,
               Task    *task)
{
  const Project *project = task->group->project;

  g_string_append (out, "\"status\":{\"taskId\":");
  pi_json_append_string (out, task->task_id, -1);
  append_string_member (out, "provisionerId", project->provisioner_id);
  append_string_member (out, "workerType", task->job->worker_type);
  g_string_append_printf (out, ",\"taskQueueId\":\"%s/%s\"", project->provisioner_id, task->job->worker_type);
  append_string_member (out, "schedulerId", project->scheduler_id);
  append_string_member (out, "projectId", "gecko");
  append_string_member (out, "taskGroupId", task->group->task_group_id);
  append_string_member (out, "priority", strcmp (project->project, "try") == 0 ? "low" : "normal");
  append_string_member (out, "deadline", task->deadline);
  append_string_member (out, "expires", task->expires);
  g_string_append_printf (out, ",\"retriesLeft\":%u", task->retries_left);
  append_string_member (out, "state", task_state (task));
  g_string_append (out, ",\"runs\":[");
  for (guint i = 0; i < task->runs->len; i++)
    {
      Run *run = &g_array_index (task->runs, Run, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "{\"runId\":%u", i);
      append_string_member (out, "state", run->state);
      append_string_member (out, "reasonCreated", run->reason_created);
      if (run->reason_resolved != NULL)
        append_string_member (out, "reasonResolved", run->reason_resolved);
      if (run->worker_id != NULL)
        {
          append_string_member (out, "workerGroup", run->worker_group);
          append_string_member (out, "workerId", run->worker_id);
          append_string_member (out, "takenUntil", run->taken_until);
        }
      append_string_member (out, "scheduled", run->scheduled);
      if (run->started != NULL)
        append_string_member (out, "started", run->started);
      if (run->resolved != NULL)
        append_string_member (out, "resolved", run->resolved);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
}

static void
append_task_tags (GString *out,
                  Task    *task)
{
  g_string_append (out, ",\"task\":{\"tags\":{\"kind\":");
  pi_json_append_string (out, task->job->kind, -1);
  append_string_member (out, "label", task->job->label);
  append_string_member (out, "os", strstr (task->job->platform, "win") ? "windows"
                                   : strstr (task->job->platform, "mac") ? "macosx" : "linux");
  append_string_member (out, "createdForUser", "developer@example.com");
  append_string_member (out, "worker-implementation", task->job->implementation);
  append_string_member (out, "retrigger", "true");
  g_string_append (out, "}}");
}

static GStrv
task_routes (Task *task)
{
  Group *group = task->group;
  const char *project = group->project->project;
  GPtrArray *routes = g_ptr_array_new ();

  g_ptr_array_add (routes, g_strdup_printf ("tc-treeherder.v2.%s.%s.%u",
                                            project, group->revision, group->push_id));
  g_ptr_array_add (routes, g_strdup_printf ("index.gecko.v2.%s.latest.firefox.%s",
                                            project, task->job->platform));
  g_ptr_array_add (routes, g_strdup_printf ("index.gecko.v2.%s.revision.%s.firefox.%s",
                                            project, group->revision, task->job->platform));
  g_ptr_array_add (routes, g_strdup_printf ("index.gecko.v2.%s.pushlog-id.%u.%s",
                                            project, group->push_id, task->job->kind));
  if (strcmp (project, "try") != 0)
    g_ptr_array_add (routes, g_strdup ("checks"));
  g_ptr_array_add (routes, NULL);

  return (GStrv) g_ptr_array_free (routes, FALSE);
}

/* primary.taskId.runId.workerGroup.workerId.provisionerId.workerType.schedulerId.taskGroupId._
 * as the queue's exchange reference orders them; a missing word is `_`. */
static char *
task_routing_key (Task *task,
                  Run  *run)
{
  g_autofree char *run_id = NULL;

  if (run != NULL)
    run_id = g_strdup_printf ("%u", (guint) (run - &g_array_index (task->runs, Run, 0)));

  return g_strdup_printf ("primary.%s.%s.%s.%s.%s.%s.%s.%s._",
                          task->task_id,
                          run_id ? run_id : "_",
                          run && run->worker_id ? run->worker_group : "_",
                          run && run->worker_id ? run->worker_id : "_",
                          task->group->project->provisioner_id,
                          task->job->worker_type,
                          task->group->project->scheduler_id,
                          task->group->task_group_id);
}

static gboolean
publish_task_message (PiDemo      *self,
                      Task        *task,
                      const char  *exchange,
                      GError     **error)
{
  Run *run = task->runs->len > 0 ? &g_array_index (task->runs, Run, task->runs->len - 1) : NULL;
  g_autoptr(GString) payload = g_string_sized_new (1200);
  g_autofree char *routing_key = NULL;
  g_autofree char *exchange_name = g_strconcat (EXCHANGE_PREFIX, exchange, NULL);
  g_auto(GStrv) routes = task_routes (task);
  gboolean with_run = strcmp (exchange, "task-defined") != 0;

  g_string_append (payload, "{\"version\":1,");
  append_status (payload, task);

  if (strcmp (exchange, "artifact-created") != 0)
    append_task_tags (payload, task);

  if (with_run && run != NULL)
    {
      g_string_append_printf (payload, ",\"runId\":%u", task->runs->len - 1);
      if (run->worker_id != NULL && strcmp (exchange, "task-pending") != 0)
        {
          append_string_member (payload, "workerGroup", run->worker_group);
          append_string_member (payload, "workerId", run->worker_id);
        }
    }

  if (strcmp (exchange, "task-running") == 0)
    append_string_member (payload, "takenUntil", run->taken_until);

  if (strcmp (exchange, "artifact-created") == 0)
    {
      guint i = task->artifacts_sent++ % G_N_ELEMENTS (artifact_names);
      const char *storage = i == 0 ? "reference" : "object";

      g_string_append (payload, ",\"artifact\":{\"storageType\":");
      pi_json_append_string (payload, storage, -1);
      append_string_member (payload, "name", artifact_names[i]);
      append_string_member (payload, "expires", task->expires);
      append_string_member (payload, "contentType", artifact_types[i]);
      g_string_append_c (payload, '}');
    }

  g_string_append_c (payload, '}');

  routing_key = task_routing_key (task, with_run ? run : NULL);

  self->n_sent++;
  return pi_broker_publish (self->broker, exchange_name, routing_key,
                            (const char * const *) routes, payload->str, error);
}

static Run *
add_run (Task       *task,
         const char *reason)
{
  Run run = { 0 };

  run.state = "pending";
  run.reason_created = reason;
  run.scheduled = iso8601_from_now (0);
  g_array_append_val (task->runs, run);

  return &g_array_index (task->runs, Run, task->runs->len - 1);
}

static void
finish_task (PiDemo *self,
             Task   *task)
{
  Group *group = task->group;

  task->step = STEP_DONE;
  g_ptr_array_remove_fast (self->active, task);

  if (--group->unfinished == 0)
    g_ptr_array_remove (self->groups, group);
}

/* Advances one task by one step and publishes what the queue would. */
static gboolean
advance (PiDemo  *self,
         Task    *task,
         GError **error)
{
  Run *run = task->runs->len > 0 ? &g_array_index (task->runs, Run, task->runs->len - 1) : NULL;
  const char *exchange = NULL;
  gboolean ok;
  guint roll;

  switch (task->step)
    {
    case STEP_DEFINED:
      exchange = "task-defined";
      task->step = STEP_PENDING;
      break;

    case STEP_PENDING:
      add_run (task, "scheduled");
      exchange = "task-pending";
      task->step = STEP_RUNNING;
      break;

    case STEP_RUNNING:
      run->state = "running";
      run->worker_group = task->job->worker_group;
      run->worker_id = g_strdup_printf ("i-0%08x%08x", g_rand_int (self->rand), g_rand_int (self->rand));
      run->started = iso8601_from_now (0);
      run->taken_until = iso8601_from_now (20 * 60);
      task->artifacts_left = g_rand_int_range (self->rand, 1, 5);
      exchange = "task-running";
      task->step = STEP_ARTIFACTS;
      break;

    case STEP_ARTIFACTS:
      exchange = "artifact-created";
      if (--task->artifacts_left == 0)
        task->step = STEP_RESOLVE;
      break;

    case STEP_RESOLVE:
      roll = g_rand_int_range (self->rand, 0, 100);
      run->resolved = iso8601_from_now (0);
      if (roll < 80)
        {
          run->state = "completed";
          run->reason_resolved = "completed";
          exchange = "task-completed";
        }
      else if (roll < 94)
        {
          run->state = "failed";
          run->reason_resolved = "failed";
          exchange = "task-failed";
        }
      else
        {
          run->state = "exception";
          run->reason_resolved = roll < 98 ? "worker-shutdown" : "claim-expired";
          exchange = "task-exception";
        }

      ok = publish_task_message (self, task, exchange, error);

      /* The queue retries a run lost to the infrastructure. */
      if (strcmp (exchange, "task-exception") == 0 && task->retries_left > 0)
        {
          task->retries_left--;
          add_run (task, "retry");
          task->step = STEP_RUNNING;
          exchange = "task-pending";
          ok = ok && publish_task_message (self, task, exchange, error);
        }
      else
        {
          finish_task (self, task);
        }
      return ok;

    case STEP_DONE:
    default:
      g_assert_not_reached ();
    }

  return publish_task_message (self, task, exchange, error);
}

/**
 * pi_demo_step:
 * @self: a #PiDemo
 * @error: a #GError
 *
 * Publishes the next message (sometimes two: an exception and its retry).
 *
 * Returns: %TRUE if the broker took it
 */
gboolean
pi_demo_step (PiDemo  *self,
              GError **error)
{
  Task *task;

  g_return_val_if_fail (PI_IS_DEMO (self), FALSE);

  while (self->groups->len < GROUPS_IN_FLIGHT)
    start_group (self);

  /* Tasks of a group become defined in order, then run concurrently. */
  task = g_ptr_array_index (self->active, g_rand_int_range (self->rand, 0, self->active->len));
  if (task->step == STEP_DEFINED)
    {
      for (guint i = 0; i < task->group->tasks->len; i++)
        {
          Task *first = g_ptr_array_index (task->group->tasks, i);

          if (first->step == STEP_DEFINED)
            {
              task = first;
              break;
            }
        }
    }

  return advance (self, task, error);
}

static gboolean
tick_cb (gpointer user_data)
{
  PiDemo *self = user_data;
  gint64 now = g_get_monotonic_time ();

  self->budget += self->rate * (now - self->last_tick) / (double) G_USEC_PER_SEC;
  self->last_tick = now;

  while (self->budget >= 1.0)
    {
      g_autoptr(GError) error = NULL;

      self->budget -= 1.0;
      if (!pi_demo_step (self, &error))
        {
          g_warning ("Demo traffic stopped: %s", error->message);
          self->tick_source = 0;
          return G_SOURCE_REMOVE;
        }
    }

  return G_SOURCE_CONTINUE;
}

/* --- object ----------------------------------------------------------------- */

static void
pi_demo_dispose (GObject *object)
{
  PiDemo *self = PI_DEMO (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_object (&self->broker);

  G_OBJECT_CLASS (pi_demo_parent_class)->dispose (object);
}

static void
pi_demo_finalize (GObject *object)
{
  PiDemo *self = PI_DEMO (object);

  g_ptr_array_unref (self->active);
  g_ptr_array_unref (self->groups);
  g_rand_free (self->rand);

  G_OBJECT_CLASS (pi_demo_parent_class)->finalize (object);
}

static void
pi_demo_class_init (PiDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_demo_dispose;
  object_class->finalize = pi_demo_finalize;
}

static void
pi_demo_init (PiDemo *self)
{
  self->rand = g_rand_new ();
  self->groups = g_ptr_array_new_with_free_func (group_free);
  self->active = g_ptr_array_new ();
  self->next_push_id = g_rand_int_range (self->rand, 100000, 200000);
}

/**
 * pi_demo_new:
 * @broker: a broker that accepts publishing
 * @rate: messages per second
 *
 * Returns: (transfer full): a stopped generator
 */
PiDemo *
pi_demo_new (PiBroker *broker,
             double    rate)
{
  PiDemo *self;

  g_return_val_if_fail (PI_IS_BROKER (broker), NULL);
  g_return_val_if_fail (rate > 0, NULL);

  self = g_object_new (PI_TYPE_DEMO, NULL);
  self->broker = g_object_ref (broker);
  self->rate = rate;

  return self;
}

/**
 * pi_demo_start:
 * @self: a #PiDemo
 *
 * Publishes about `rate` messages a second from the main loop.
 */
void
pi_demo_start (PiDemo *self)
{
  g_return_if_fail (PI_IS_DEMO (self));

  if (self->tick_source != 0)
    return;

  self->last_tick = g_get_monotonic_time ();
  self->budget = 1.0;  /* the first message right away */
  self->tick_source = g_timeout_add (MIN (TICK_MS, (guint) (1000 / self->rate) + 1), tick_cb, self);
}

/**
 * pi_demo_stop:
 * @self: a #PiDemo
 */
void
pi_demo_stop (PiDemo *self)
{
  g_return_if_fail (PI_IS_DEMO (self));

  g_clear_handle_id (&self->tick_source, g_source_remove);
}

/**
 * pi_demo_get_n_sent:
 * @self: a #PiDemo
 *
 * Returns: how many messages were published
 */
guint64
pi_demo_get_n_sent (PiDemo *self)
{
  g_return_val_if_fail (PI_IS_DEMO (self), 0);

  return self->n_sent;
}
