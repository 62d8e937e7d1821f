// Survey results for analysts and leads: the headline figure with its 95 % interval, counts,
// response rate and the closed loop, the score week by week with its interval as a band, how the
// answers spread over the scale, a breakdown by a dimension (each group's score with its interval),
// and the latest verbatim comments beside the scores. Charts are ECharts (components/Chart).
import { useCallback, useMemo, useState } from 'react';
import { Anchor, Badge, Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { SurveyFigures, SurveyResults } from '@rapport/contracts';
import { api, must } from '../../api/client';
import { useMembers, useTeams, useTouchpoints } from '../../api/queries';
import { Chart, type ChartOption } from '../../components/Chart';
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

type Headline = NonNullable<ReturnType<typeof headline>>;
const INK = '#364fc7';
const BAND = 'rgba(116, 143, 252, 0.28)';
const AXIS = { axisLabel: { color: '#495057' }, axisLine: { lineStyle: { color: '#adb5bd' } } };
const round1 = (v: number) => Math.round(v * 10) / 10;

/** Colours of scores (bars and badges), each dark enough for white text on it (WCAG AA). */
const NEUTRAL = '#5c636a';
const GOOD = '#23702f';
/** The colour of a score's bar: NPS detractors, passives and promoters; the unhappy and happy ends of CSAT and CES. */
function scoreColor(type: SurveyResults['type'], score: number): string {
  if (type === 'nps') return score >= 9 ? GOOD : score <= 6 ? '#c92a2a' : NEUTRAL;
  if (type === 'csat') return score >= 4 ? GOOD : score <= 2 ? '#c92a2a' : NEUTRAL;
  if (type === 'ces') return score >= 5 ? GOOD : score <= 3 ? '#c92a2a' : NEUTRAL;
  return '#3b5bdb';
}

/**
 * The score period by period, its 95 % interval a band around it (a transparent low line, then the
 * width stacked on it); a single period has no band to draw, so its interval is a floating bar.
 */
function trendOption(type: SurveyResults['type'], groups: SurveyResults['groups'], scale: Headline | null): ChartOption {
  const points = groups.map((g) => ({ key: g.key ?? '', n: g.responses, h: headline(type, g) }));
  const isBand = points.length > 1;
  const label = scale?.label ?? 'Score';
  const band = {
    stack: 'ci',
    stackStrategy: 'all' as const,
    tooltip: { show: false },
    ...(isBand ? { type: 'line' as const, symbol: 'none', lineStyle: { opacity: 0 } } : { type: 'bar' as const, barWidth: 28 }),
  };
  return {
    grid: { left: 64, right: 40, top: 16, bottom: 32 },
    tooltip: {
      trigger: 'axis',
      formatter: (params: unknown) => {
        const index = Array.isArray(params) ? Number((params[0] as { dataIndex?: number } | undefined)?.dataIndex ?? 0) : 0;
        const p = points[index];
        if (!p?.h) return `${p?.key ?? ''}: no answers`;
        return `Week of ${p.key}<br>${label} ${p.h.value}${p.h.unit} (95 % ${p.h.low} – ${p.h.high})<br>${p.n} answers`;
      },
    },
    xAxis: {
      type: 'category',
      data: points.map((p) => p.key),
      boundaryGap: !isBand,
      ...AXIS,
      axisLabel: { ...AXIS.axisLabel, alignMinLabel: 'left', alignMaxLabel: 'right' },
    },
    yAxis: { type: 'value', min: scale?.min, max: scale?.max, ...AXIS },
    series: [
      { ...band, name: '95 % low', itemStyle: { color: 'transparent' }, data: points.map((p) => p.h?.low ?? null) },
      {
        ...band,
        name: '95 % interval',
        itemStyle: { color: BAND },
        ...(isBand ? { areaStyle: { color: BAND } } : {}),
        data: points.map((p) => (p.h ? round1(p.h.high - p.h.low) : null)),
      },
      {
        name: label,
        type: 'line',
        symbolSize: 8,
        symbol: 'circle',
        itemStyle: { color: INK },
        lineStyle: { width: 2.5 },
        data: points.map((p) => p.h?.value ?? null),
      },
    ],
  };
}

function distributionOption(type: SurveyResults['type'], distribution: SurveyResults['overall']['distribution']): ChartOption {
  return {
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: distribution.map((d) => String(d.score)), ...AXIS },
    yAxis: { type: 'value', minInterval: 1, ...AXIS },
    series: [{ name: 'Answers', type: 'bar', data: distribution.map((d) => ({ value: d.count, itemStyle: { color: scoreColor(type, d.score) } })) }],
  };
}

/** Each group's interval as a floating bar (a transparent base up to the low end, then the width), its score a dot. */
function groupsOption(rows: Array<{ name: string; h: Headline | null }>, scale: Headline | null): ChartOption {
  const shown = rows.filter((r) => r.h !== null);
  return {
    grid: { left: 120, right: 24, top: 8, bottom: 28 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', min: scale?.min, max: scale?.max, ...AXIS },
    yAxis: { type: 'category', data: shown.map((r) => r.name), inverse: true, ...AXIS },
    series: [
      {
        type: 'bar',
        stack: 'ci',
        stackStrategy: 'all',
        silent: true,
        itemStyle: { color: 'transparent' },
        data: shown.map((r) => r.h?.low ?? 0),
        barWidth: 12,
      },
      {
        name: '95 % interval',
        type: 'bar',
        stack: 'ci',
        stackStrategy: 'all',
        itemStyle: { color: BAND, borderRadius: 6 },
        data: shown.map((r) => (r.h ? round1(r.h.high - r.h.low) : 0)),
        barWidth: 12,
        tooltip: { show: false },
      },
      { name: scale?.label ?? 'Score', type: 'scatter', symbolSize: 11, itemStyle: { color: INK }, data: shown.map((r) => r.h?.value ?? null) },
    ],
  };
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
  // Week by week for the trend (its own key: it asks no comments).
  const trend = useQuery({
    queryKey: ['surveys', 'trend', surveyId],
    enabled: surveyId !== null,
    queryFn: () => must(api.GET('/api/v1/surveys/results', { params: { query: { surveyId: surveyId ?? '', by: 'period', period: 'week', comments: 0 } } })),
  });
  const teams = useTeams();
  const members = useMembers();
  const touchpoints = useTouchpoints();
  const nameOf = useCallback(
    (key: string | null) => {
      if (key === null) return 'None';
      if (by === 'team') return teams.data?.find((t) => t.id === key)?.name ?? key;
      if (by === 'agent') return members.data?.find((m) => m.userId === key)?.name ?? key;
      if (by === 'touchpoint') return touchpoints.data?.find((t) => t.id === key)?.name ?? key;
      return key;
    },
    [by, teams.data, members.data, touchpoints.data],
  );

  const r = results.data;
  const top = r ? headline(r.type, r.overall) : null;
  const t = trend.data;
  const groupRows = useMemo(() => (r ? r.groups.map((g) => ({ name: nameOf(g.key), h: headline(r.type, g) })) : []), [r, nameOf]);
  const trendChart = useMemo(() => (t ? trendOption(t.type, t.groups, headline(t.type, t.overall)) : null), [t]);
  const distributionChart = useMemo(() => (r ? distributionOption(r.type, r.overall.distribution) : null), [r]);
  const groupsChart = useMemo(() => (r ? groupsOption(groupRows, top) : null), [r, groupRows, top]);
  const byLabel = DIMENSIONS.find((d) => d.value === by)?.label ?? by;
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
                <Text size="xs" c="dimmed">
                  95 % interval {top.low} – {top.high}
                  {top.unit}
                </Text>
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

          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={2} size="h5">
                {top?.label ?? 'Score'} by week
              </Title>
              <Text size="xs" c="dimmed">
                The band is the 95 % interval.
              </Text>
              {t && trendChart ? (
                <Chart
                  testId="chart-trend"
                  option={trendChart}
                  label={`${top?.label ?? 'Score'} by week with its 95 % interval`}
                  table={{
                    caption: `${top?.label ?? 'Score'} by week`,
                    columns: ['Week', 'Score', '95 % low', '95 % high', 'Responses'],
                    rows: t.groups.map((g) => {
                      const h = headline(t.type, g);
                      return [g.key, h?.value ?? null, h?.low ?? null, h?.high ?? null, g.responses];
                    }),
                  }}
                />
              ) : (
                <SkeletonLines label="Loading the trend" />
              )}
            </Card>
            <Card withBorder>
              <Title order={2} size="h5">
                Answers by score
              </Title>
              <Text size="xs" c="dimmed">
                {r.type === 'nps' ? 'Detractors 0–6 in red, passives 7–8 in grey, promoters 9–10 in green.' : 'How the answers spread over the scale.'}
              </Text>
              {distributionChart ? (
                <Chart
                  testId="chart-distribution"
                  option={distributionChart}
                  label="Answers by score"
                  table={{ caption: 'Answers by score', columns: ['Score', 'Answers'], rows: r.overall.distribution.map((d) => [d.score, d.count]) }}
                />
              ) : null}
            </Card>
          </SimpleGrid>

          <Title order={2} size="h4">
            By {byLabel.toLowerCase()}
          </Title>
          {r.groups.length === 0 ? <Text c="dimmed">No responses in this period.</Text> : null}
          {groupsChart && groupRows.some((g) => g.h) ? (
            <Chart
              testId="chart-groups"
              option={groupsChart}
              height={Math.max(120, 44 + groupRows.filter((g) => g.h).length * 34)}
              label={`${top?.label ?? 'Score'} by ${byLabel.toLowerCase()} with 95 % intervals`}
              summary={`The table below lists each ${byLabel.toLowerCase()}'s score and interval.`}
            />
          ) : null}
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
                      <Table.Td>{h ? `${h.low} – ${h.high}${h.unit}` : '—'}</Table.Td>
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
                  <Badge color={c.score === null ? NEUTRAL : scoreColor(r.type, c.score)}>{c.score ?? '—'}</Badge>
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
