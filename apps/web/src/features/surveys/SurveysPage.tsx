// Survey results for analysts and leads: the headline figure with its 95 % interval, counts,
// response rate and the closed loop, a breakdown by a dimension (each group's score drawn with its
// interval), and the latest verbatim comments beside the scores.
import { useState } from 'react';
import { Anchor, Badge, Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { SurveyFigures, SurveyResults } from '@rapport/contracts';
import { api, must } from '../../api/client';
import { useMembers, useTeams, useTouchpoints } from '../../api/queries';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { dateTime } from '../../components/format';

type Dimension = 'team' | 'agent' | 'channel' | 'touchpoint' | 'stage' | 'department' | 'period';
const DIMENSIONS: Array<{ value: Dimension; label: string }> = [
  { value: 'team', label: 'Team' },
  { value: 'agent', label: 'Agent' },
  { value: 'channel', label: 'Channel' },
  { value: 'touchpoint', label: 'Touchpoint' },
  { value: 'stage', label: 'Stage' },
  { value: 'department', label: 'Department' },
  { value: 'period', label: 'Week' },
];

/** The headline figure of a survey type, on the scale its interval is drawn on. */
function headline(type: SurveyResults['type'], f: SurveyFigures) {
  if (type === 'nps' && f.nps) return { label: 'NPS', value: f.nps.score, low: f.nps.ci95.low, high: f.nps.ci95.high, min: -100, max: 100, unit: '' };
  if (type === 'csat' && f.csat) return { label: 'CSAT', value: f.csat.percent, low: f.csat.ci95.low, high: f.csat.ci95.high, min: 0, max: 100, unit: ' %' };
  if (type === 'ces' && f.ces) return { label: 'CES', value: f.ces.mean, low: f.ces.ci95.low, high: f.ces.ci95.high, min: 1, max: 7, unit: '' };
  return null;
}

/** One score and its interval on a horizontal scale (an accessible SVG: its title says the figures). */
function IntervalBar({ h }: { h: NonNullable<ReturnType<typeof headline>> }) {
  const x = (v: number) => 4 + ((Math.min(h.max, Math.max(h.min, v)) - h.min) / (h.max - h.min)) * 192;
  return (
    <svg width="200" height="18" role="img" aria-label={`${h.value}${h.unit}, 95 % interval ${h.low} to ${h.high}`}>
      <line x1="4" x2="196" y1="9" y2="9" stroke="#dee2e6" strokeWidth="2" />
      <line x1={x(h.low)} x2={x(h.high)} y1="9" y2="9" stroke="#748ffc" strokeWidth="6" strokeLinecap="round" />
      <circle cx={x(h.value)} cy="9" r="5" fill="#364fc7" />
    </svg>
  );
}

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 1000) / 10} %`);

export default function SurveysPage() {
  const surveys = useQuery({ queryKey: ['surveys'], queryFn: async () => (await must(api.GET('/api/v1/surveys'))).data });
  const [chosen, setChosen] = useState<string | null>(null);
  const [by, setBy] = useState<Dimension>('team');
  const surveyId = chosen ?? surveys.data?.[0]?.id ?? null;
  const results = useQuery({
    queryKey: ['surveys', 'results', surveyId, by],
    enabled: surveyId !== null,
    queryFn: () => must(api.GET('/api/v1/surveys/results', { params: { query: { surveyId: surveyId ?? '', by, period: 'week', comments: 10 } } })),
  });
  const teams = useTeams();
  const members = useMembers();
  const touchpoints = useTouchpoints();
  const nameOf = (key: string | null) => {
    if (key === null) return 'None';
    if (by === 'team') return teams.data?.find((t) => t.id === key)?.name ?? key;
    if (by === 'agent') return members.data?.find((m) => m.userId === key)?.name ?? key;
    if (by === 'touchpoint') return touchpoints.data?.find((t) => t.id === key)?.name ?? key;
    return key;
  };

  const r = results.data;
  const top = r ? headline(r.type, r.overall) : null;
  return (
    <Stack>
      <Title order={1} size="h3">
        Surveys
      </Title>
      {surveys.isPending ? <SkeletonLines label="Loading surveys" count={2} /> : null}
      {surveys.isError ? <ErrorNotice error={surveys.error} onRetry={() => void surveys.refetch()} /> : null}
      {surveys.isSuccess && surveys.data.length === 0 ? <Text c="dimmed">No survey yet: create one through the API (POST /api/v1/surveys).</Text> : null}
      {surveys.data && surveys.data.length > 0 ? (
        <Group align="end">
          <Select
            label="Survey"
            data={surveys.data.map((s) => ({ value: s.id, label: `${s.name} (${s.type.toUpperCase()})` }))}
            value={surveyId}
            onChange={setChosen}
            allowDeselect={false}
            w={320}
          />
          <Select label="Break down by" data={DIMENSIONS} value={by} onChange={(v) => setBy((v as Dimension | null) ?? 'team')} allowDeselect={false} w={200} />
          {surveyId ? (
            <Anchor href={`/api/v1/surveys/${surveyId}/responses.csv`} download>
              Export responses (CSV)
            </Anchor>
          ) : null}
        </Group>
      ) : null}
      {results.isError ? <ErrorNotice error={results.error} onRetry={() => void results.refetch()} /> : null}
      {results.isPending && surveyId ? <SkeletonLines label="Loading results" /> : null}
      {r ? (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
            <Card withBorder>
              <Text size="sm" c="dimmed">
                {top?.label ?? 'Responses'}
              </Text>
              <Text fz={32} fw={700} aria-label="headline figure">
                {top ? `${top.value}${top.unit}` : r.overall.responses}
              </Text>
              {top ? (
                <>
                  <IntervalBar h={top} />
                  <Text size="xs" c="dimmed">
                    95 % interval {top.low} – {top.high}
                    {top.unit}
                  </Text>
                </>
              ) : null}
            </Card>
            <Card withBorder>
              <Text size="sm" c="dimmed">
                Responses / sent
              </Text>
              <Text fz={32} fw={700}>
                {r.overall.responses} / {r.overall.sent}
              </Text>
              <Text size="xs" c="dimmed">
                response rate {pct(r.overall.responseRate)}
              </Text>
            </Card>
            {r.overall.nps ? (
              <Card withBorder>
                <Text size="sm" c="dimmed">
                  Promoters · passives · detractors
                </Text>
                <Text fz={24} fw={700}>
                  {r.overall.nps.promoters} · {r.overall.nps.passives} · {r.overall.nps.detractors}
                </Text>
              </Card>
            ) : null}
            <Card withBorder>
              <Text size="sm" c="dimmed">
                Closed loop
              </Text>
              <Text fz={24} fw={700}>
                {r.overall.loop.followUps} follow-ups
              </Text>
              <Text size="xs" c="dimmed">
                {r.overall.loop.open} open · {r.overall.loop.recovered} recovered · {r.overall.loop.notRecovered} not recovered
              </Text>
            </Card>
          </SimpleGrid>

          <Title order={2} size="h4">
            By {DIMENSIONS.find((d) => d.value === by)?.label.toLowerCase()}
          </Title>
          {r.groups.length === 0 ? <Text c="dimmed">No responses in this period.</Text> : null}
          {r.groups.length > 0 ? (
            <Table striped aria-label={`Results by ${by}`}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{DIMENSIONS.find((d) => d.value === by)?.label}</Table.Th>
                  <Table.Th>Score</Table.Th>
                  <Table.Th>95 % interval</Table.Th>
                  <Table.Th>Responses</Table.Th>
                  <Table.Th>Rate</Table.Th>
                  <Table.Th>Recovered</Table.Th>
                  <Table.Th>Latest comment</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.groups.map((g) => {
                  const h = headline(r.type, g);
                  return (
                    <Table.Tr key={g.key ?? 'none'}>
                      <Table.Td>{nameOf(g.key)}</Table.Td>
                      <Table.Td>{h ? `${h.value}${h.unit}` : '—'}</Table.Td>
                      <Table.Td>{h ? <IntervalBar h={h} /> : null}</Table.Td>
                      <Table.Td>{g.responses}</Table.Td>
                      <Table.Td>{pct(g.responseRate)}</Table.Td>
                      <Table.Td>
                        {g.loop.recovered} / {g.loop.followUps}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" lineClamp={2}>
                          {g.comments[0]?.comment ?? ''}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          ) : null}

          <Title order={2} size="h4">
            Latest comments
          </Title>
          {r.overall.comments.length === 0 ? <Text c="dimmed">No comments yet.</Text> : null}
          <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0 }}>
            {r.overall.comments.map((c) => (
              <Card withBorder component="li" key={c.responseId} padding="sm">
                <Group gap="xs">
                  <Badge
                    color={
                      c.score !== null && headline(r.type, r.overall)?.label === 'NPS' ? (c.score >= 9 ? 'green' : c.score <= 6 ? 'red' : 'gray') : 'indigo'
                    }
                  >
                    {c.score ?? '—'}
                  </Badge>
                  <Text size="xs" c="dimmed">
                    {dateTime(c.at)}
                  </Text>
                </Group>
                <Text size="sm">{c.comment}</Text>
              </Card>
            ))}
          </Stack>
        </>
      ) : null}
    </Stack>
  );
}
