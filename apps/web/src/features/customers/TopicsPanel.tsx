// What customers write about: the topics of their messages in a period, how often, how they feel
// about each (average sentiment, negative messages), and the phrases they use.
import { useState } from 'react';
import { Group, Paper, SegmentedControl, Table, Text, Title } from '@mantine/core';
import { useTopics } from '../../api/queries';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { signedScore } from '../../components/feeling';

const tone = (x: number) => (x < -0.05 ? 'var(--mantine-color-red-8)' : x > 0.05 ? 'var(--mantine-color-teal-8)' : undefined);

export function TopicsPanel() {
  const [days, setDays] = useState('30');
  const topics = useTopics(Number(days));
  const rows = topics.data?.data ?? [];
  return (
    <Paper withBorder p="md" component="section" aria-label="What customers write about">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5">
          What customers write about
        </Title>
        <SegmentedControl
          size="xs"
          aria-label="Period"
          value={days}
          onChange={setDays}
          data={[
            { value: '7', label: '7 days' },
            { value: '30', label: '30 days' },
            { value: '90', label: '90 days' },
          ]}
        />
      </Group>
      {topics.isPending ? <SkeletonLines label="Loading topics" /> : null}
      {topics.isError ? <ErrorNotice error={topics.error} onRetry={() => void topics.refetch()} /> : null}
      {topics.isSuccess && rows.length === 0 ? (
        <Text c="dimmed" size="sm">
          No customer messages in this period yet.
        </Text>
      ) : null}
      {rows.length > 0 ? (
        <Table aria-label="Topics" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Topic</Table.Th>
              <Table.Th ta="right">Messages</Table.Th>
              <Table.Th ta="right">Share</Table.Th>
              <Table.Th ta="right">Feeling</Table.Th>
              <Table.Th ta="right">Negative</Table.Th>
              <Table.Th>Phrases</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((t) => (
              <Table.Tr key={t.topic}>
                <Table.Td fw={600}>{t.topic}</Table.Td>
                <Table.Td ta="right">{t.messages}</Table.Td>
                <Table.Td ta="right">{Math.round(t.share * 100)} %</Table.Td>
                <Table.Td ta="right" style={{ color: tone(t.averageSentiment) }}>
                  {signedScore(t.averageSentiment)}
                </Table.Td>
                <Table.Td ta="right">{t.negative}</Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {t.phrases.map((p) => (p.count > 1 ? `${p.phrase} (${p.count})` : p.phrase)).join(', ')}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {topics.data ? (
        <Text size="xs" c="dimmed" mt="xs">
          From {topics.data.messages} customer messages with a key phrase. Feeling: the average sentiment, from −1 to +1.
        </Text>
      ) : null}
    </Paper>
  );
}
